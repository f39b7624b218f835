package io.terok.scriptedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiResponsesTest {

    /** Codex's classic shell tool takes an argv array. */
    private static final String SHELL = """
            {"type":"function","name":"shell","description":"Runs a shell command","strict":false,
             "parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}},
             "workdir":{"type":"string"},"timeout_ms":{"type":"number"}},"required":["command"]}}""";
    private static final String EXEC = """
            {"type":"function","name":"exec_command","parameters":{"type":"object",
             "properties":{"cmd":{"type":"string"},"yield_time_ms":{"type":"number"}},"required":["cmd"]}}""";
    private static final String USER = """
            {"type":"message","role":"user","content":[{"type":"input_text","text":"<environment_context/>"}]},
            {"type":"message","role":"user","content":[{"type":"input_text","text":"write the proof file"}]}""";
    private static final String TOOL_TURN = """
            {"type":"function_call","name":"shell","arguments":"{}","call_id":"call_1"},
            {"type":"function_call_output","call_id":"call_1","output":"ok"}""";

    private ScriptedModelServer server;

    @BeforeEach
    void start() {
        server = ScriptedModelServer.start(Script.shellThenAnswer("echo terok-ok > proof.txt", "I wrote proof.txt."));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String request(boolean stream, String tool, String input) {
        return "{\"model\":\"gpt-5-codex\",\"instructions\":\"x\",\"stream\":" + stream + ",\"store\":false,"
                + "\"tools\":[" + tool + "],\"input\":[" + input + "]}";
    }

    @Test
    void streamsAFunctionCallWithArgumentDeltasAndACompletedResponse() throws Exception {
        List<Http.Event> events = Http.events(server.baseUrl() + "/v1/responses", request(true, SHELL, USER),
                "Authorization", "Bearer sk-real");

        List<String> names = events.stream().map(Http.Event::name).toList();
        assertEquals("response.created", names.get(0));
        assertEquals("response.completed", names.get(names.size() - 1));
        assertTrue(names.contains("response.output_item.added"));
        assertTrue(names.contains("response.function_call_arguments.done"));
        assertTrue(names.contains("response.output_item.done"));
        int sequence = 0;
        StringBuilder arguments = new StringBuilder();
        for (Http.Event event : events) {
            JsonNode data = event.json();
            assertEquals(event.name(), data.path("type").asText());
            assertEquals(sequence++, data.path("sequence_number").asInt());
            if (event.name().equals("response.function_call_arguments.delta")) {
                arguments.append(data.path("delta").asText());
            }
        }
        JsonNode command = Http.JSON.readTree(arguments.toString()).path("command");
        assertEquals(List.of("bash", "-lc", "echo terok-ok > proof.txt"),
                List.of(command.get(0).asText(), command.get(1).asText(), command.get(2).asText()));
        JsonNode done = events.get(names.indexOf("response.output_item.done")).json().path("item");
        assertEquals("function_call", done.path("type").asText());
        assertEquals("shell", done.path("name").asText());
        assertTrue(done.path("call_id").asText().startsWith("call_"));
        JsonNode completed = events.get(events.size() - 1).json().path("response");
        assertEquals("completed", completed.path("status").asText());
        assertTrue(completed.path("usage").path("total_tokens").asInt() > 0);
        assertEquals(arguments.toString(), completed.path("output").get(0).path("arguments").asText());
    }

    @Test
    void streamsTheFinalAnswerAsOutputTextDeltas() throws Exception {
        List<Http.Event> events = Http.events(server.baseUrl() + "/v1/responses",
                request(true, SHELL, USER + "," + TOOL_TURN));

        StringBuilder text = new StringBuilder();
        events.stream().filter(e -> e.name().equals("response.output_text.delta"))
                .forEach(e -> text.append(e.json().path("delta").asText()));
        assertEquals("I wrote proof.txt.", text.toString());
        JsonNode message = events.get(events.size() - 1).json().path("response").path("output").get(0);
        assertEquals("message", message.path("type").asText());
        assertEquals("I wrote proof.txt.", message.path("content").get(0).path("text").asText());
    }

    @Test
    void answersWithoutStreamingAndFillsExecCommandsStringArgument() throws Exception {
        JsonNode first = Http.post(server.baseUrl() + "/v1/responses", request(false, EXEC, USER)).json();
        JsonNode call = first.path("output").get(0);
        assertEquals("exec_command", call.path("name").asText());
        assertEquals("echo terok-ok > proof.txt",
                Http.JSON.readTree(call.path("arguments").asText()).path("cmd").asText());

        JsonNode second = Http.post(server.baseUrl() + "/v1/responses",
                request(false, EXEC, USER + "," + TOOL_TURN)).json();
        assertEquals("I wrote proof.txt.", second.path("output").get(0).path("content").get(0).path("text").asText());
    }

    /** Codex's code mode: no shell function, a freeform `exec` tool in an additional_tools item, namespaced. */
    @Test
    void inCodeModeAnswersWithAnExecCustomToolCallRunningExecCommand() throws Exception {
        String codeMode = """
                {"type":"additional_tools","role":"developer","tools":[{"type":"namespace","name":"functions",
                 "tools":[{"type":"custom","name":"exec","description":"Run JavaScript; nested tools: await tools.exec_command(...)",
                 "format":{"type":"grammar","syntax":"lark","definition":"start: SOURCE"}},
                 {"type":"function","name":"wait","parameters":{"type":"object","properties":{}}}]}]}""";
        String body = "{\"model\":\"m\",\"stream\":true,\"tools\":[],\"input\":[" + codeMode + "," + USER + "]}";
        List<Http.Event> events = Http.events(server.baseUrl() + "/v1/responses", body);

        StringBuilder input = new StringBuilder();
        events.stream().filter(e -> e.name().equals("response.custom_tool_call_input.delta"))
                .forEach(e -> input.append(e.json().path("delta").asText()));
        JsonNode item = events.get(events.size() - 1).json().path("response").path("output").get(0);
        assertEquals("custom_tool_call", item.path("type").asText());
        assertEquals("exec", item.path("name").asText());
        assertEquals(input.toString(), item.path("input").asText());
        assertTrue(input.toString().contains("await tools.exec_command({\"cmd\": \"echo terok-ok > proof.txt\"})"),
                input.toString());

        String afterCall = "{\"model\":\"m\",\"stream\":false,\"input\":[" + codeMode + "," + USER
                + ",{\"type\":\"custom_tool_call\",\"name\":\"exec\",\"input\":\"x\",\"call_id\":\"c\"},"
                + "{\"type\":\"custom_tool_call_output\",\"call_id\":\"c\",\"output\":\"ok\"}]}";
        JsonNode answer = Http.post(server.baseUrl() + "/v1/responses", afterCall).json();
        assertEquals("I wrote proof.txt.", answer.path("output").get(0).path("content").get(0).path("text").asText());
    }

    @Test
    void aStructuredOutputRequestGetsJsonOfItsSchemaAndConsumesNoStep() throws Exception {
        String body = "{\"model\":\"m\",\"tools\":[" + SHELL + "],\"input\":[" + USER + "],\"text\":{\"format\":"
                + "{\"type\":\"json_schema\",\"name\":\"title\",\"schema\":{\"type\":\"object\","
                + "\"properties\":{\"title\":{\"type\":\"string\"}},\"required\":[\"title\"]}}}}";
        JsonNode answer = Http.post(server.baseUrl() + "/v1/responses", body).json();
        String text = answer.path("output").get(0).path("content").get(0).path("text").asText();
        assertTrue(Http.JSON.readTree(text).path("title").isTextual(), text);
    }
}
