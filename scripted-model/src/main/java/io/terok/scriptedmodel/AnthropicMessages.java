package io.terok.scriptedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Anthropic Messages ({@code POST /v1/messages}): content blocks, {@code tool_use}/{@code tool_result}, named SSE events. */
final class AnthropicMessages extends Protocol {

    @Override
    String name() {
        return "Anthropic Messages";
    }

    @Override
    List<ShellTool.Spec> tools(JsonNode request) {
        List<ShellTool.Spec> tools = new ArrayList<>();
        for (JsonNode tool : request.path("tools")) {
            tools.add(new ShellTool.Spec(tool.path("name").asText(null), tool.get("input_schema")));
        }
        return tools;
    }

    @Override
    int toolResultsSinceUserMessage(JsonNode request) {
        JsonNode messages = request.path("messages");
        int lastPlain = -1;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            if ("user".equals(message.path("role").asText()) && countResults(message) == 0) {
                lastPlain = i;
            }
        }
        int results = 0;
        for (int i = lastPlain + 1; i < messages.size(); i++) {
            if ("user".equals(messages.get(i).path("role").asText())) {
                results += countResults(messages.get(i));
            }
        }
        return results;
    }

    private static int countResults(JsonNode message) {
        int count = 0;
        for (JsonNode block : message.path("content")) {
            if ("tool_result".equals(block.path("type").asText())) {
                count++;
            }
        }
        return count;
    }

    /** Structured outputs: {@code output_format} (beta), later {@code output_config.format}. */
    @Override
    java.util.Optional<JsonNode> structuredOutput(JsonNode request) {
        for (JsonNode format : new JsonNode[] {request.path("output_format"),
                request.path("output_config").path("format")}) {
            if ("json_schema".equals(format.path("type").asText())) {
                return java.util.Optional.of(format.path("schema"));
            }
        }
        return java.util.Optional.empty();
    }

    @Override
    boolean tokenProbe(JsonNode request) {
        return isOne(request.get("max_tokens"));
    }

    @Override
    void answer(Reply reply, Answer answer, Turn turn) throws IOException {
        boolean stream = turn.stream();
        String model = turn.model();
        int inputTokens = turn.inputTokens();
        String id = Ids.next("msg_");
        ObjectNode block;
        String stopReason;
        String text = null;
        if (answer instanceof Answer.Text t) {
            text = t.text();
            block = JSON.objectNode().put("type", "text").put("text", text);
            stopReason = "end_turn";
        } else {
            Answer.ToolCall call = (Answer.ToolCall) answer;
            block = JSON.objectNode().put("type", "tool_use").put("id", Ids.next("toolu_")).put("name", call.tool());
            block.set("input", call.arguments());
            stopReason = "tool_use";
        }
        int outputTokens = outputTokens(text == null ? Reply.write(block) : text);
        if (!stream) {
            ObjectNode message = message(id, model, inputTokens, outputTokens);
            message.withArray("content").add(block);
            message.put("stop_reason", stopReason);
            reply.json(200, message);
            return;
        }
        reply.startEvents();
        ObjectNode start = JSON.objectNode().put("type", "message_start");
        start.set("message", message(id, model, inputTokens, 1));
        reply.event("message_start", start);
        ObjectNode opening = block.deepCopy();
        if (text != null) {
            opening.put("text", "");
        } else {
            opening.set("input", JSON.objectNode());
        }
        reply.event("content_block_start", JSON.objectNode().put("type", "content_block_start").put("index", 0)
                .set("content_block", opening));
        reply.event("ping", JSON.objectNode().put("type", "ping"));
        List<String> parts = pieces(text != null ? text : Reply.write(block.get("input")));
        for (String part : parts) {
            ObjectNode delta = text != null
                    ? JSON.objectNode().put("type", "text_delta").put("text", part)
                    : JSON.objectNode().put("type", "input_json_delta").put("partial_json", part);
            reply.event("content_block_delta", JSON.objectNode().put("type", "content_block_delta").put("index", 0)
                    .set("delta", delta));
        }
        reply.event("content_block_stop", JSON.objectNode().put("type", "content_block_stop").put("index", 0));
        ObjectNode messageDelta = JSON.objectNode().put("type", "message_delta");
        messageDelta.putObject("delta").put("stop_reason", stopReason).putNull("stop_sequence");
        messageDelta.putObject("usage").put("output_tokens", outputTokens);
        reply.event("message_delta", messageDelta);
        reply.event("message_stop", JSON.objectNode().put("type", "message_stop"));
        reply.endEvents();
    }

    private static ObjectNode message(String id, String model, int inputTokens, int outputTokens) {
        ObjectNode message = JSON.objectNode().put("id", id).put("type", "message").put("role", "assistant")
                .put("model", model);
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", inputTokens).put("cache_creation_input_tokens", 0)
                .put("cache_read_input_tokens", 0).put("output_tokens", outputTokens);
        return message;
    }

    @Override
    JsonNode error(int status, String message) {
        String type = switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 404 -> "not_found_error";
            default -> "api_error";
        };
        ObjectNode body = JSON.objectNode().put("type", "error");
        body.putObject("error").put("type", type).put("message", message);
        return body;
    }
}
