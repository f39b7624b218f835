package io.terok.scriptedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Gemini ({@code POST /v1beta/models/MODEL:generateContent} and {@code :streamGenerateContent}): contents of parts,
 * {@code functionCall}/{@code functionResponse}; the stream is unnamed SSE with {@code alt=sse}, a JSON array without.
 */
final class Gemini extends Protocol {

    @Override
    String name() {
        return "Gemini generateContent";
    }

    @Override
    List<ShellTool.Spec> tools(JsonNode request) {
        List<ShellTool.Spec> tools = new ArrayList<>();
        for (JsonNode tool : request.path("tools")) {
            for (JsonNode declaration : tool.path("functionDeclarations")) {
                JsonNode schema = declaration.has("parametersJsonSchema")
                        ? declaration.get("parametersJsonSchema") : declaration.get("parameters");
                tools.add(new ShellTool.Spec(declaration.path("name").asText(null), schema));
            }
        }
        return tools;
    }

    @Override
    int toolResultsSinceUserMessage(JsonNode request) {
        JsonNode contents = request.path("contents");
        int lastPlain = -1;
        for (int i = 0; i < contents.size(); i++) {
            JsonNode content = contents.get(i);
            if (content.path("role").asText("user").equals("user") && countResults(content) == 0) {
                lastPlain = i;
            }
        }
        int results = 0;
        for (int i = lastPlain + 1; i < contents.size(); i++) {
            results += countResults(contents.get(i));
        }
        return results;
    }

    private static int countResults(JsonNode content) {
        int count = 0;
        for (JsonNode part : content.path("parts")) {
            if (part.has("functionResponse")) {
                count++;
            }
        }
        return count;
    }

    @Override
    java.util.Optional<JsonNode> structuredOutput(JsonNode request) {
        JsonNode config = request.path("generationConfig");
        for (String key : new String[] {"responseJsonSchema", "responseSchema"}) {
            if (config.has(key)) {
                return java.util.Optional.of(config.get(key));
            }
        }
        if ("application/json".equals(config.path("responseMimeType").asText())) {
            return java.util.Optional.of(JSON.objectNode().put("type", "object"));
        }
        return java.util.Optional.empty();
    }

    @Override
    boolean tokenProbe(JsonNode request) {
        return isOne(request.path("generationConfig").get("maxOutputTokens"));
    }

    @Override
    boolean streaming(JsonNode request, String query) {
        return false; // decided by the path's method, see ScriptedModelServer
    }

    @Override
    String model(JsonNode request, String pathModel) {
        return pathModel;
    }

    @Override
    void answer(Reply reply, Answer answer, Turn turn) throws IOException {
        String responseId = Ids.next("");
        String model = turn.model();
        List<ObjectNode> chunks = new ArrayList<>();
        int outputTokens;
        if (answer instanceof Answer.Text t) {
            outputTokens = outputTokens(t.text());
            List<String> pieces = turn.stream() ? pieces(t.text()) : List.of(t.text());
            for (String piece : pieces) {
                ObjectNode chunk = chunk(responseId, model);
                candidate(chunk).putObject("content").put("role", "model").putArray("parts").addObject()
                        .put("text", piece);
                chunks.add(chunk);
            }
        } else {
            Answer.ToolCall call = (Answer.ToolCall) answer;
            outputTokens = outputTokens(Reply.write(call.arguments()));
            ObjectNode chunk = chunk(responseId, model);
            ObjectNode functionCall = candidate(chunk).putObject("content").put("role", "model").putArray("parts")
                    .addObject().putObject("functionCall").put("name", call.tool());
            functionCall.set("args", call.arguments());
            chunks.add(chunk);
        }
        ObjectNode last = chunks.get(chunks.size() - 1);
        candidate(last).put("finishReason", "STOP");
        last.putObject("usageMetadata").put("promptTokenCount", turn.inputTokens())
                .put("candidatesTokenCount", outputTokens).put("totalTokenCount", turn.inputTokens() + outputTokens);
        if (!turn.stream()) {
            reply.json(200, last);
        } else if (turn.query().contains("alt=sse")) {
            reply.startEvents();
            for (ObjectNode chunk : chunks) {
                reply.event(null, chunk);
            }
            reply.endEvents();
        } else {
            ArrayNode array = JSON.arrayNode();
            chunks.forEach(array::add);
            reply.json(200, array);
        }
    }

    private static ObjectNode chunk(String responseId, String model) {
        ObjectNode chunk = JSON.objectNode();
        chunk.putArray("candidates").addObject().put("index", 0);
        chunk.put("modelVersion", model).put("responseId", responseId);
        return chunk;
    }

    private static ObjectNode candidate(ObjectNode chunk) {
        return (ObjectNode) chunk.path("candidates").get(0);
    }

    @Override
    JsonNode error(int status, String message) {
        String code = switch (status) {
            case 400 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 404 -> "NOT_FOUND";
            default -> "INTERNAL";
        };
        ObjectNode body = JSON.objectNode();
        body.putObject("error").put("code", status).put("message", message).put("status", code);
        return body;
    }
}
