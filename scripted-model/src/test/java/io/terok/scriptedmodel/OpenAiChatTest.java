package io.terok.scriptedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiChatTest {

    /** A bash tool with more required parameters than the command, as OpenCode and Copilot declare theirs. */
    private static final String BASH = """
            {"type":"function","function":{"name":"bash","description":"Run","parameters":{"type":"object",
             "properties":{"command":{"type":"string"},"description":{"type":"string"},
             "mode":{"type":"string","enum":["sync","async"]},"initial_wait":{"type":"integer"}},
             "required":["command","description","mode","initial_wait"]}}}""";
    private static final String USER = """
            {"role":"system","content":"be brief"},{"role":"user","content":"write the proof file"}""";
    private static final String TOOL_TURN = """
            {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
             "function":{"name":"bash","arguments":"{}"}}]},
            {"role":"tool","tool_call_id":"call_1","content":"ok"}""";

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
        return "{\"model\":\"gpt-4.1\",\"stream\":" + stream + ",\"stream_options\":{\"include_usage\":true},"
                + "\"tools\":[" + BASH + "],\"messages\":[" + messages + "]}";
    }

    @Test
    void streamsToolCallChunksThenFinishReasonThenDone() throws Exception {
        List<Http.Event> events = Http.events(server.baseUrl() + "/v1/chat/completions", request(true, USER));

        assertEquals("[DONE]", events.get(events.size() - 1).data());
        String name = null;
        String id = null;
        StringBuilder arguments = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (Http.Event event : events.subList(0, events.size() - 1)) {
            JsonNode chunk = event.json();
            assertEquals("chat.completion.chunk", chunk.path("object").asText());
            if (chunk.has("usage")) {
                usage = chunk.path("usage");
                continue;
            }
            JsonNode choice = chunk.path("choices").get(0);
            for (JsonNode call : choice.path("delta").path("tool_calls")) {
                assertEquals(0, call.path("index").asInt());
                if (call.has("id")) {
                    id = call.path("id").asText();
                    name = call.path("function").path("name").asText();
                }
                arguments.append(call.path("function").path("arguments").asText());
            }
            if (!choice.path("finish_reason").isNull()) {
                finish = choice.path("finish_reason").asText();
            }
        }
        assertEquals("bash", name);
        assertTrue(id.startsWith("call_"));
        assertEquals("tool_calls", finish);
        assertTrue(usage.path("total_tokens").asInt() > 0, "usage comes when include_usage asks for it");
        JsonNode parsed = Http.JSON.readTree(arguments.toString());
        assertEquals("echo terok-ok > proof.txt", parsed.path("command").asText());
        assertEquals("sync", parsed.path("mode").asText(), "an enum gets its first value");
        assertEquals("Runs the scripted command", parsed.path("description").asText());
        assertTrue(parsed.path("initial_wait").isInt());
    }

    @Test
    void streamsTheFinalAnswerAsContentDeltas() throws Exception {
        List<Http.Event> events = Http.events(server.baseUrl() + "/chat/completions",
                request(true, USER + "," + TOOL_TURN));

        StringBuilder text = new StringBuilder();
        String finish = null;
        for (Http.Event event : events.subList(0, events.size() - 1)) {
            JsonNode choices = event.json().path("choices");
            if (choices.isEmpty()) {
                continue;
            }
            text.append(choices.get(0).path("delta").path("content").asText(""));
            if (!choices.get(0).path("finish_reason").isNull()) {
                finish = choices.get(0).path("finish_reason").asText();
            }
        }
        assertEquals("I wrote proof.txt.", text.toString());
        assertEquals("stop", finish);
    }

    @Test
    void answersWithoutStreaming() throws Exception {
        JsonNode first = Http.post(server.baseUrl() + "/v1/chat/completions", request(false, USER)).json();
        JsonNode choice = first.path("choices").get(0);
        assertEquals("tool_calls", choice.path("finish_reason").asText());
        assertEquals("bash", choice.path("message").path("tool_calls").get(0).path("function").path("name").asText());

        JsonNode second = Http.post(server.baseUrl() + "/v1/chat/completions",
                request(false, USER + "," + TOOL_TURN)).json();
        assertEquals("I wrote proof.txt.", second.path("choices").get(0).path("message").path("content").asText());
        assertEquals("stop", second.path("choices").get(0).path("finish_reason").asText());
    }
}
