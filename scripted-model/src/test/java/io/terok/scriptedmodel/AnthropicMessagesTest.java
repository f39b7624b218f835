package io.terok.scriptedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AnthropicMessagesTest {

    private static final String BASH = """
            {"name":"Bash","description":"Run a command","input_schema":{"type":"object",
             "properties":{"command":{"type":"string"},"timeout":{"type":"number"}},"required":["command"]}}""";
    private static final String USER = """
            {"role":"user","content":[{"type":"text","text":"write the proof file"}]}""";
    private static final String TOOL_TURN = """
            {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"x"}}]},
            {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"},
                                      {"type":"text","text":"<system-reminder>not a new prompt</system-reminder>"}]}""";

    private ScriptedModelServer server;

    @BeforeEach
    void start() {
        server = ScriptedModelServer.start(Script.shellThenAnswer("echo terok-ok > proof.txt", "I wrote proof.txt."));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String request(boolean stream, String messages) {
        return "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":32000,\"stream\":" + stream + ",\"tools\":[" + BASH
                + "],\"messages\":[" + messages + "]}";
    }

    @Test
    void streamsTheShellCallAsToolUseWithInputJsonDeltas() throws Exception {
        List<Http.Event> events = Http.events(server.baseUrl() + "/v1/messages", request(true, USER),
                "x-api-key", "sk-ant-real", "anthropic-version", "2023-06-01");

        List<String> names = events.stream().map(Http.Event::name).toList();
        assertEquals("message_start", names.get(0));
        assertEquals(List.of("content_block_stop", "message_delta", "message_stop"),
                names.subList(names.size() - 3, names.size()));
        for (Http.Event event : events) {
            assertEquals(event.name(), event.json().path("type").asText(), "each event's type repeats its name");
        }
        JsonNode start = events.stream().filter(e -> e.name().equals("content_block_start")).findFirst().orElseThrow()
                .json().path("content_block");
        assertEquals("tool_use", start.path("type").asText());
        assertEquals("Bash", start.path("name").asText());
        assertTrue(start.path("id").asText().startsWith("toolu_"));
        StringBuilder input = new StringBuilder();
        long deltas = events.stream().filter(e -> e.name().equals("content_block_delta")).peek(e -> {
            JsonNode delta = e.json().path("delta");
            assertEquals("input_json_delta", delta.path("type").asText());
            input.append(delta.path("partial_json").asText());
        }).count();
        assertTrue(deltas > 1, "the input arrives in several deltas");
        assertEquals("echo terok-ok > proof.txt", Http.JSON.readTree(input.toString()).path("command").asText());
        JsonNode messageDelta = events.get(events.size() - 2).json();
        assertEquals("tool_use", messageDelta.path("delta").path("stop_reason").asText());
        assertTrue(messageDelta.path("usage").path("output_tokens").asInt() > 0);
    }

    @Test
    void afterTheToolResultStreamsTheFinalAnswer() throws Exception {
        List<Http.Event> events = Http.events(server.baseUrl() + "/v1/messages",
                request(true, USER + "," + TOOL_TURN));

        StringBuilder text = new StringBuilder();
        events.stream().filter(e -> e.name().equals("content_block_delta"))
                .forEach(e -> text.append(e.json().path("delta").path("text").asText()));
        assertEquals("I wrote proof.txt.", text.toString());
        assertEquals("end_turn", events.get(events.size() - 2).json().path("delta").path("stop_reason").asText());
    }

    @Test
    void answersWithoutStreamingAsOneMessage() throws Exception {
        Http.Response first = Http.post(server.baseUrl() + "/v1/messages", request(false, USER));
        assertEquals(200, first.status());
        JsonNode message = first.json();
        assertEquals("message", message.path("type").asText());
        assertEquals("tool_use", message.path("stop_reason").asText());
        assertEquals("echo terok-ok > proof.txt",
                message.path("content").get(0).path("input").path("command").asText());

        JsonNode second = Http.post(server.baseUrl() + "/v1/messages", request(false, USER + "," + TOOL_TURN)).json();
        assertEquals("end_turn", second.path("stop_reason").asText());
        assertEquals("I wrote proof.txt.", second.path("content").get(0).path("text").asText());
    }

    @Test
    void aNewPromptStartsTheScriptAgain() throws Exception {
        String followUp = USER + "," + TOOL_TURN
                + ",{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"done\"}]},"
                + "{\"role\":\"user\",\"content\":\"and again\"}";
        JsonNode message = Http.post(server.baseUrl() + "/v1/messages", request(false, followUp)).json();
        assertEquals("tool_use", message.path("stop_reason").asText());
    }

    @Test
    void titleRequestsQuotaProbesAndTokenCountsConsumeNoStep() throws Exception {
        String title = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":512,\"messages\":[" + USER + "]}";
        JsonNode titled = Http.post(server.baseUrl() + "/v1/messages", title).json();
        assertEquals("end_turn", titled.path("stop_reason").asText());
        assertEquals(ScriptedModelServer.AUXILIARY_ANSWER, titled.path("content").get(0).path("text").asText());

        String probe = request(false, USER).replace("\"max_tokens\":32000", "\"max_tokens\":1");
        assertEquals("end_turn", Http.post(server.baseUrl() + "/v1/messages", probe).json()
                .path("stop_reason").asText());

        Http.Response count = Http.post(server.baseUrl() + "/v1/messages/count_tokens", request(false, USER));
        assertTrue(count.json().path("input_tokens").asInt() > 0);

        assertEquals("tool_use", Http.post(server.baseUrl() + "/v1/messages", request(false, USER)).json()
                .path("stop_reason").asText(), "the main request still gets the first step");
        assertEquals(4, server.requests().size());
    }
}
