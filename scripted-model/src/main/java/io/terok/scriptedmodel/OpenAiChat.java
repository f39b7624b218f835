package io.terok.scriptedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI Chat Completions ({@code POST /v1/chat/completions}): {@code tool_calls} on the assistant message,
 * {@code role: tool} results, unnamed SSE chunks ending with {@code data: [DONE]}.
 */
final class OpenAiChat extends Protocol {

    @Override
    String name() {
        return "OpenAI Chat Completions";
    }

    @Override
    List<ShellTool.Spec> tools(JsonNode request) {
        List<ShellTool.Spec> tools = new ArrayList<>();
        for (JsonNode tool : request.path("tools")) {
            JsonNode function = tool.path("function");
            tools.add(new ShellTool.Spec(function.path("name").asText(null), function.get("parameters")));
        }
        return tools;
    }

    @Override
    int toolResultsSinceUserMessage(JsonNode request) {
        JsonNode messages = request.path("messages");
        int lastUser = -1;
        for (int i = 0; i < messages.size(); i++) {
            if ("user".equals(messages.get(i).path("role").asText())) {
                lastUser = i;
            }
        }
        int results = 0;
        for (int i = lastUser + 1; i < messages.size(); i++) {
            if ("tool".equals(messages.get(i).path("role").asText())) {
                results++;
            }
        }
        return results;
    }

    @Override
    java.util.Optional<JsonNode> structuredOutput(JsonNode request) {
        JsonNode format = request.path("response_format");
        return switch (format.path("type").asText()) {
            case "json_schema" -> java.util.Optional.of(format.path("json_schema").path("schema"));
            case "json_object" -> java.util.Optional.of(JSON.objectNode().put("type", "object"));
            default -> java.util.Optional.empty();
        };
    }

    @Override
    boolean tokenProbe(JsonNode request) {
        return isOne(request.get("max_tokens")) || isOne(request.get("max_completion_tokens"));
    }

    @Override
    void answer(Reply reply, Answer answer, Turn turn) throws IOException {
        boolean stream = turn.stream();
        String model = turn.model();
        int inputTokens = turn.inputTokens();
        String id = Ids.next("chatcmpl-");
        long created = now();
        String text = answer instanceof Answer.Text t ? t.text() : null;
        Answer.ToolCall call = answer instanceof Answer.ToolCall c ? c : null;
        String arguments = call == null ? null : Reply.write(call.arguments());
        String callId = Ids.next("call_");
        String finish = call == null ? "stop" : "tool_calls";
        int outputTokens = outputTokens(text != null ? text : arguments);
        ObjectNode usage = JSON.objectNode().put("prompt_tokens", inputTokens).put("completion_tokens", outputTokens)
                .put("total_tokens", inputTokens + outputTokens);
        if (!stream) {
            ObjectNode body = envelope(id, created, model, "chat.completion");
            ObjectNode choice = body.withArray("choices").addObject().put("index", 0);
            ObjectNode message = choice.putObject("message").put("role", "assistant");
            if (call == null) {
                message.put("content", text);
            } else {
                message.putNull("content");
                message.putArray("tool_calls").add(toolCall(callId, call.tool(), arguments, null));
            }
            choice.put("finish_reason", finish);
            body.set("usage", usage);
            reply.json(200, body);
            return;
        }
        reply.startEvents();
        ObjectNode first = chunk(id, created, model);
        ObjectNode firstDelta = ((ObjectNode) first.path("choices").get(0)).putObject("delta").put("role", "assistant");
        if (call == null) {
            firstDelta.put("content", "");
        } else {
            firstDelta.putNull("content");
        }
        reply.event(null, first);
        if (call == null) {
            for (String part : pieces(text)) {
                ObjectNode chunk = chunk(id, created, model);
                ((ObjectNode) chunk.path("choices").get(0)).putObject("delta").put("content", part);
                reply.event(null, chunk);
            }
        } else {
            ObjectNode named = chunk(id, created, model);
            ((ObjectNode) named.path("choices").get(0)).putObject("delta").putArray("tool_calls")
                    .add(toolCall(callId, call.tool(), "", 0));
            reply.event(null, named);
            for (String part : pieces(arguments)) {
                ObjectNode chunk = chunk(id, created, model);
                ObjectNode piece = JSON.objectNode().put("index", 0);
                piece.putObject("function").put("arguments", part);
                ((ObjectNode) chunk.path("choices").get(0)).putObject("delta").putArray("tool_calls").add(piece);
                reply.event(null, chunk);
            }
        }
        ObjectNode last = chunk(id, created, model);
        ((ObjectNode) last.path("choices").get(0)).put("finish_reason", finish).putObject("delta");
        reply.event(null, last);
        if (turn.request().path("stream_options").path("include_usage").asBoolean(false)) {
            ObjectNode usageChunk = envelope(id, created, model, "chat.completion.chunk");
            usageChunk.putArray("choices");
            usageChunk.set("usage", usage);
            reply.event(null, usageChunk);
        }
        reply.raw(null, "[DONE]");
        reply.endEvents();
    }

    private static ObjectNode toolCall(String id, String name, String arguments, Integer index) {
        ObjectNode call = JSON.objectNode();
        if (index != null) {
            call.put("index", index);
        }
        call.put("id", id).put("type", "function");
        call.putObject("function").put("name", name).put("arguments", arguments);
        return call;
    }

    private static ObjectNode envelope(String id, long created, String model, String object) {
        return JSON.objectNode().put("id", id).put("object", object).put("created", created).put("model", model);
    }

    private static ObjectNode chunk(String id, long created, String model) {
        ObjectNode chunk = envelope(id, created, model, "chat.completion.chunk");
        ArrayNode choices = chunk.putArray("choices");
        choices.addObject().put("index", 0).putNull("finish_reason");
        return chunk;
    }

    @Override
    JsonNode error(int status, String message) {
        return openAiError(status, message);
    }

    static JsonNode openAiError(int status, String message) {
        String type = switch (status) {
            case 400, 404 -> "invalid_request_error";
            case 401 -> "authentication_error";
            default -> "server_error";
        };
        ObjectNode body = JSON.objectNode();
        ObjectNode error = body.putObject("error").put("message", message).put("type", type);
        error.putNull("param");
        if (status == 404) {
            error.put("code", "unknown_url");
        } else {
            error.putNull("code");
        }
        return body;
    }
}
