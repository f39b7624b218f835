package io.terok.scriptedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GeminiTest {

    private static final String TOOLS = """
            [{"functionDeclarations":[{"name":"read_file","parametersJsonSchema":{"type":"object",
               "properties":{"absolute_path":{"type":"string"}},"required":["absolute_path"]}},
             {"name":"run_shell_command","parametersJsonSchema":{"type":"object","properties":{
               "command":{"type":"string"},"description":{"type":"string"},"directory":{"type":"string"}},
               "required":["command"]}}]}]""";
    private static final String USER = """
            {"role":"user","parts":[{"text":"write the proof file"}]}""";
    private static final String TOOL_TURN = """
            {"role":"model","parts":[{"functionCall":{"name":"run_shell_command","args":{"command":"x"}}}]},
            {"role":"user","parts":[{"functionResponse":{"name":"run_shell_command","response":{"output":"ok"}}}]}""";

    private ScriptedModelServer server;

    @BeforeEach
    void start() {
        server = ScriptedModelServer.start(Script.shellThenAnswer("echo terok-ok > proof.txt", "I wrote proof.txt."));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String request(String contents) {
        return "{\"contents\":[" + contents + "],\"tools\":" + TOOLS
                + ",\"generationConfig\":{\"temperature\":0}}";
    }

    private String url(String method) {
        return server.baseUrl() + "/v1beta/models/gemini-2.5-pro:" + method;
    }

    @Test
    void streamsAFunctionCallOverSse() throws Exception {
        List<Http.Event> events = Http.events(url("streamGenerateContent") + "?alt=sse", request(USER),
                "x-goog-api-key", "AIza-real");

        JsonNode last = events.get(events.size() - 1).json();
        JsonNode call = events.get(0).json().path("candidates").get(0).path("content").path("parts").get(0)
                .path("functionCall");
        assertEquals("run_shell_command", call.path("name").asText());
        assertEquals("echo terok-ok > proof.txt", call.path("args").path("command").asText());
        assertEquals("STOP", last.path("candidates").get(0).path("finishReason").asText());
        assertTrue(last.path("usageMetadata").path("totalTokenCount").asInt() > 0);
        assertEquals("gemini-2.5-pro", last.path("modelVersion").asText());
    }

    @Test
    void streamsTheFinalAnswerAsTextChunks() throws Exception {
        List<Http.Event> events = Http.events(url("streamGenerateContent") + "?alt=sse",
                request(USER + "," + TOOL_TURN));

        StringBuilder text = new StringBuilder();
        events.forEach(e -> text.append(e.json().path("candidates").get(0).path("content").path("parts").get(0)
                .path("text").asText()));
        assertTrue(events.size() > 1, "the text arrives in several chunks");
        assertEquals("I wrote proof.txt.", text.toString());
        for (Http.Event event : events) {
            assertEquals(null, event.name(), "Gemini's stream has no event names");
        }
    }

    @Test
    void answersGenerateContentAndTheStreamWithoutSseAsAJsonArray() throws Exception {
        JsonNode first = Http.post(url("generateContent"), request(USER)).json();
        assertEquals("run_shell_command", first.path("candidates").get(0).path("content").path("parts").get(0)
                .path("functionCall").path("name").asText());

        JsonNode chunks = Http.post(url("streamGenerateContent"), request(USER + "," + TOOL_TURN)).json();
        assertTrue(chunks.isArray());
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> text.append(c.path("candidates").get(0).path("content").path("parts").get(0)
                .path("text").asText()));
        assertEquals("I wrote proof.txt.", text.toString());

        assertTrue(Http.post(url("countTokens"), request(USER)).json().path("totalTokens").asInt() > 0);
    }

    /** Gemini CLI's routing classifier asks for JSON of a schema and retries until it parses. */
    @Test
    void aStructuredRequestGetsJsonMatchingItsSchemaAndConsumesNoStep() throws Exception {
        String classifier = "{\"contents\":[" + USER + "],\"generationConfig\":{\"responseMimeType\":"
                + "\"application/json\",\"responseJsonSchema\":{\"type\":\"OBJECT\",\"properties\":{"
                + "\"complexity_reasoning\":{\"type\":\"STRING\"},\"complexity_score\":{\"type\":\"INTEGER\","
                + "\"minimum\":1,\"maximum\":100},\"model\":{\"type\":\"STRING\",\"enum\":[\"flash\",\"pro\"]}},"
                + "\"required\":[\"complexity_reasoning\",\"complexity_score\"]}}}";
        JsonNode answer = Http.post(url("generateContent"), classifier).json();
        JsonNode json = Http.JSON.readTree(answer.path("candidates").get(0).path("content").path("parts").get(0)
                .path("text").asText());
        assertTrue(json.path("complexity_reasoning").isTextual(), json.toString());
        assertEquals(60, json.path("complexity_score").asInt());
        assertEquals("flash", json.path("model").asText());

        JsonNode main = Http.post(url("generateContent"), request(USER)).json();
        assertEquals("run_shell_command", main.path("candidates").get(0).path("content").path("parts").get(0)
                .path("functionCall").path("name").asText(), "the main request still gets the first step");
    }
}
