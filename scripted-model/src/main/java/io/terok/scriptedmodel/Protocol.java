package io.terok.scriptedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** One vendor's wire protocol: what a request offers and where its conversation stands, and how answers are written. */
abstract class Protocol {

    static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    /** Vendor name for messages ("Anthropic Messages", ...). */
    abstract String name();

    abstract List<ShellTool.Spec> tools(JsonNode request);

    /** How many tool results follow the conversation's last plain user message: the index of the step to replay. */
    abstract int toolResultsSinceUserMessage(JsonNode request);

    /** A quota probe: the agent asks for a single output token to check the key and does not read the answer. */
    abstract boolean tokenProbe(JsonNode request);

    /** The JSON APIs say it in the body ({@code "stream": true}); Gemini overrides it (the path and query do). */
    boolean streaming(JsonNode request, String query) {
        return request.path("stream").asBoolean(false);
    }

    /** The JSON schema the request wants its answer to follow (structured output), if any. */
    java.util.Optional<JsonNode> structuredOutput(JsonNode request) {
        return java.util.Optional.empty();
    }

    String model(JsonNode request, String pathModel) {
        return request.path("model").asText("scripted-model");
    }

    abstract void answer(Reply reply, Answer answer, Turn turn) throws IOException;

    /** The request being answered, and what the server worked out about it. */
    record Turn(JsonNode request, String query, boolean stream, String model, int inputTokens) {
    }

    /** The vendor's error body for this status. */
    abstract JsonNode error(int status, String message);

    /** Splits a text into a few pieces at spaces, so a streamed answer arrives as several deltas as real ones do. */
    static List<String> pieces(String text) {
        List<String> pieces = new ArrayList<>();
        int size = Math.max(1, text.length() / 3);
        int start = 0;
        while (start < text.length()) {
            int end = Math.min(text.length(), start + size);
            int space = text.indexOf(' ', end);
            end = space < 0 || space - end > 20 ? end : space + 1;
            end = Math.min(text.length(), end);
            pieces.add(text.substring(start, end));
            start = end;
        }
        if (pieces.isEmpty()) {
            pieces.add("");
        }
        return pieces;
    }

    static int outputTokens(String text) {
        return Math.max(1, text.length() / 4);
    }

    static boolean isOne(JsonNode value) {
        return value != null && value.isNumber() && value.asInt() == 1;
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }
}
