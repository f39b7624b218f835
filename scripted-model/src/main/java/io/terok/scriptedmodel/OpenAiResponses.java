package io.terok.scriptedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI Responses ({@code POST /v1/responses}): input items, {@code function_call}/{@code function_call_output},
 * named SSE events carrying a {@code sequence_number}, the whole response again in {@code response.completed}.
 */
final class OpenAiResponses extends Protocol {

    @Override
    String name() {
        return "OpenAI Responses";
    }

    /**
     * The request's tools, and those Codex declares in {@code additional_tools} input items; namespaces
     * ({@code {"type": "namespace", "tools": [...]}}) are flattened.
     */
    @Override
    List<ShellTool.Spec> tools(JsonNode request) {
        List<ShellTool.Spec> tools = new ArrayList<>();
        collect(request.path("tools"), tools);
        for (JsonNode item : request.path("input")) {
            if ("additional_tools".equals(item.path("type").asText())) {
                collect(item.path("tools"), tools);
            }
        }
        return tools;
    }

    private static void collect(JsonNode declared, List<ShellTool.Spec> tools) {
        for (JsonNode tool : declared) {
            String type = tool.path("type").asText("function");
            switch (type) {
                case "function" -> tools.add(new ShellTool.Spec(tool.path("name").asText(null), tool.get("parameters")));
                case "custom" -> tools.add(new ShellTool.Spec(tool.path("name").asText(null), null, true,
                        tool.path("description").asText("")));
                case "local_shell" -> tools.add(new ShellTool.Spec("local_shell", null));
                case "namespace" -> collect(tool.path("tools"), tools);
                default -> {
                    // hosted tools (web_search, ...) are not the model's to call here
                }
            }
        }
    }

    @Override
    java.util.Optional<JsonNode> structuredOutput(JsonNode request) {
        JsonNode format = request.path("text").path("format");
        return "json_schema".equals(format.path("type").asText())
                ? java.util.Optional.of(format.path("schema")) : java.util.Optional.empty();
    }

    @Override
    int toolResultsSinceUserMessage(JsonNode request) {
        JsonNode input = request.path("input");
        if (!input.isArray()) {
            return 0;
        }
        int lastUser = -1;
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            String type = item.path("type").asText("message");
            if (type.equals("message") && "user".equals(item.path("role").asText())) {
                lastUser = i;
            }
        }
        int results = 0;
        for (int i = lastUser + 1; i < input.size(); i++) {
            if (input.get(i).path("type").asText().endsWith("_call_output")) {
                results++;
            }
        }
        return results;
    }

    @Override
    boolean tokenProbe(JsonNode request) {
        return isOne(request.get("max_output_tokens"));
    }

    @Override
    void answer(Reply reply, Answer answer, Turn turn) throws IOException {
        boolean stream = turn.stream();
        String model = turn.model();
        int inputTokens = turn.inputTokens();
        String responseId = Ids.next("resp_");
        ObjectNode item;
        String text = null;
        String arguments = null;
        if (answer instanceof Answer.Text t) {
            text = t.text();
            item = JSON.objectNode().put("id", Ids.next("msg_")).put("type", "message").put("status", "completed")
                    .put("role", "assistant");
            item.putArray("content").add(outputText(text));
        } else {
            Answer.ToolCall call = (Answer.ToolCall) answer;
            if (call.freeform()) {
                item = JSON.objectNode().put("id", Ids.next("ctc_")).put("type", "custom_tool_call")
                        .put("status", "completed").put("call_id", Ids.next("call_")).put("name", call.tool())
                        .put("input", call.input());
            } else if (call.tool().equals("local_shell")) {
                item = JSON.objectNode().put("id", Ids.next("lsh_")).put("type", "local_shell_call")
                        .put("call_id", Ids.next("call_")).put("status", "completed");
                ObjectNode action = item.putObject("action").put("type", "exec");
                action.putArray("command").add("bash").add("-lc").add(call.arguments().path("command").asText());
                action.putObject("env");
            } else {
                arguments = Reply.write(call.arguments());
                item = JSON.objectNode().put("id", Ids.next("fc_")).put("type", "function_call")
                        .put("status", "completed").put("arguments", arguments).put("call_id", Ids.next("call_"))
                        .put("name", call.tool());
            }
        }
        int outputTokens = outputTokens(text != null ? text : Reply.write(item));
        ObjectNode completed = response(responseId, model, "completed");
        completed.withArray("output").add(item);
        ObjectNode usage = completed.putObject("usage").put("input_tokens", inputTokens);
        usage.putObject("input_tokens_details").put("cached_tokens", 0);
        usage.put("output_tokens", outputTokens);
        usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
        usage.put("total_tokens", inputTokens + outputTokens);
        if (!stream) {
            reply.json(200, completed);
            return;
        }
        Events events = new Events(reply);
        reply.startEvents();
        events.send("response.created", JSON.objectNode().set("response", response(responseId, model, "in_progress")));
        events.send("response.in_progress",
                JSON.objectNode().set("response", response(responseId, model, "in_progress")));
        String itemId = item.path("id").asText();
        ObjectNode opening = item.deepCopy().put("status", "in_progress");
        if (text != null) {
            opening.putArray("content");
        } else if (arguments != null) {
            opening.put("arguments", "");
        } else if (item.has("input")) {
            opening.put("input", "");
        }
        events.send("response.output_item.added", JSON.objectNode().put("output_index", 0).set("item", opening));
        if (text != null) {
            ObjectNode emptyPart = outputText("");
            events.send("response.content_part.added", JSON.objectNode().put("item_id", itemId)
                    .put("output_index", 0).put("content_index", 0).set("part", emptyPart));
            for (String part : pieces(text)) {
                events.send("response.output_text.delta", JSON.objectNode().put("item_id", itemId)
                        .put("output_index", 0).put("content_index", 0).put("delta", part));
            }
            events.send("response.output_text.done", JSON.objectNode().put("item_id", itemId)
                    .put("output_index", 0).put("content_index", 0).put("text", text));
            events.send("response.content_part.done", JSON.objectNode().put("item_id", itemId)
                    .put("output_index", 0).put("content_index", 0).set("part", outputText(text)));
        } else if (arguments != null) {
            for (String part : pieces(arguments)) {
                events.send("response.function_call_arguments.delta", JSON.objectNode().put("item_id", itemId)
                        .put("output_index", 0).put("delta", part));
            }
            events.send("response.function_call_arguments.done", JSON.objectNode().put("item_id", itemId)
                    .put("output_index", 0).put("arguments", arguments));
        } else if (item.has("input")) {
            String input = item.path("input").asText();
            for (String part : pieces(input)) {
                events.send("response.custom_tool_call_input.delta", JSON.objectNode().put("item_id", itemId)
                        .put("output_index", 0).put("delta", part));
            }
            events.send("response.custom_tool_call_input.done", JSON.objectNode().put("item_id", itemId)
                    .put("output_index", 0).put("input", input));
        }
        events.send("response.output_item.done", JSON.objectNode().put("output_index", 0).set("item", item));
        events.send("response.completed", JSON.objectNode().set("response", completed));
        reply.endEvents();
    }

    /** Numbers the events: every Responses stream event carries its {@code sequence_number}. */
    private static final class Events {
        private final Reply reply;
        private int sequence;

        Events(Reply reply) {
            this.reply = reply;
        }

        void send(String type, JsonNode body) throws IOException {
            ObjectNode event = JSON.objectNode().put("type", type).put("sequence_number", sequence++);
            event.setAll((ObjectNode) body);
            reply.event(type, event);
        }
    }

    private static ObjectNode outputText(String text) {
        ObjectNode part = JSON.objectNode().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        return part;
    }

    private static ObjectNode response(String id, String model, String status) {
        ObjectNode response = JSON.objectNode().put("id", id).put("object", "response").put("created_at", now())
                .put("status", status).put("model", model);
        response.putNull("error");
        response.putNull("incomplete_details");
        ArrayNode output = response.putArray("output");
        assert output.isEmpty();
        response.put("parallel_tool_calls", true);
        response.put("tool_choice", "auto");
        response.putArray("tools");
        response.putNull("usage");
        return response;
    }

    @Override
    JsonNode error(int status, String message) {
        return OpenAiChat.openAiError(status, message);
    }
}
