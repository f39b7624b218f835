package io.terok.scriptedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ScriptedModelServerTest {

    private static final String CHAT_WITH = """
            {"model":"m","tools":[{"type":"function","function":{"name":"%s","parameters":{"type":"object",
             "properties":{"path":{"type":"string"}}}}}],"messages":[{"role":"user","content":"go"}%s]}""";
    private static final String TOOL_RESULT = """
            ,{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"x","arguments":"{}"}}]},
            {"role":"tool","tool_call_id":"c","content":"ok"}""";

    @Test
    void baseUrlIsLoopbackWithoutTrailingSlash() {
        try (ScriptedModelServer server = ScriptedModelServer.start(Script.of(Step.text("hi")))) {
            assertEquals("http://127.0.0.1:" + server.port(), server.baseUrl());
        }
    }

    @Test
    void aShellStepWithoutAShellToolFailsLoudlyNamingTheToolsItSaw() throws Exception {
        try (ScriptedModelServer server = ScriptedModelServer.start(Script.shellThenAnswer("true", "done"))) {
            Http.Response response = Http.post(server.baseUrl() + "/v1/chat/completions",
                    CHAT_WITH.formatted("read_file", ""));

            assertEquals(500, response.status());
            String message = response.json().path("error").path("message").asText();
            assertTrue(message.contains("no shell-like tool") && message.contains("read_file"), message);
            assertEquals(1, server.failures().size());
            assertTrue(server.failures().get(0).contains("read_file"));
        }
    }

    @Test
    void pastTheEndTheLastTextStepAnswersAgain() throws Exception {
        Script script = Script.of(Step.text("first"), Step.shell("true"));
        try (ScriptedModelServer server = ScriptedModelServer.start(script)) {
            JsonNode answer = Http.post(server.baseUrl() + "/v1/chat/completions",
                    CHAT_WITH.formatted("bash", TOOL_RESULT + TOOL_RESULT)).json();
            assertEquals("first", answer.path("choices").get(0).path("message").path("content").asText());
        }
    }

    @Test
    void aHangStepAcceptsTheRequestAndNeverAnswers() throws Exception {
        try (ScriptedModelServer server = ScriptedModelServer.start(Script.of(Step.hang()))) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions"))
                    .timeout(Duration.ofMillis(500))
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT_WITH.formatted("bash", ""))).build();
            assertThrows(HttpTimeoutException.class,
                    () -> HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()));
            assertEquals(1, server.requests().size(), "the request was received");
        }
    }

    @Test
    void recordsEveryRequestWithCaseInsensitiveHeaders() throws Exception {
        try (ScriptedModelServer server = ScriptedModelServer.start(Script.of(Step.text("hi")))) {
            Http.post(server.baseUrl() + "/v1/messages?beta=true", "{\"model\":\"m\",\"max_tokens\":5,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "X-Api-Key", "sk-ant-real");
            Http.get(server.baseUrl() + "/v1/models", "Authorization", "Bearer sk-real");

            RecordedRequest first = server.requests().get(0);
            assertEquals("POST", first.method());
            assertEquals("/v1/messages", first.path());
            assertEquals("beta=true", first.query());
            assertEquals("sk-ant-real", first.header("x-api-key"));
            assertEquals("sk-ant-real", first.header("X-API-KEY"));
            assertTrue(first.body().contains("\"max_tokens\":5"));
            assertEquals("Bearer sk-real", server.requests().get(1).header("authorization"));
        }
    }

    @Test
    void listsOneModelInTheAskingVendorsShape() throws Exception {
        try (ScriptedModelServer server = ScriptedModelServer.start(Script.of(Step.text("hi")))) {
            JsonNode openai = Http.get(server.baseUrl() + "/v1/models").json();
            assertEquals("list", openai.path("object").asText());
            assertEquals(1, openai.path("data").size());
            JsonNode anthropic = Http.get(server.baseUrl() + "/v1/models", "anthropic-version", "2023-06-01").json();
            assertEquals("model", anthropic.path("data").get(0).path("type").asText());
            assertTrue(anthropic.path("data").get(0).path("display_name").asText().contains("not an AI"));
            JsonNode gemini = Http.get(server.baseUrl() + "/v1beta/models").json();
            assertEquals(1, gemini.path("models").size());
        }
    }

    @Test
    void unknownPathsGetTheVendorsErrorShapeWith404() throws Exception {
        try (ScriptedModelServer server = ScriptedModelServer.start(Script.of(Step.text("hi")))) {
            Http.Response anthropic = Http.post(server.baseUrl() + "/v1/messages/batches", "{}",
                    "anthropic-version", "2023-06-01");
            assertEquals(404, anthropic.status());
            assertEquals("error", anthropic.json().path("type").asText());
            assertEquals("not_found_error", anthropic.json().path("error").path("type").asText());

            Http.Response openai = Http.post(server.baseUrl() + "/v1/embeddings", "{}");
            assertEquals(404, openai.status());
            assertEquals("invalid_request_error", openai.json().path("error").path("type").asText());

            Http.Response gemini = Http.post(server.baseUrl() + "/v1beta/models/g:embedContent", "{}");
            assertEquals(404, gemini.status());
            assertEquals("NOT_FOUND", gemini.json().path("error").path("status").asText());
        }
    }

    @Test
    void aBodyThatIsNotJsonIsA400InTheVendorsShape() throws Exception {
        try (ScriptedModelServer server = ScriptedModelServer.start(Script.of(Step.text("hi")))) {
            Http.Response response = Http.post(server.baseUrl() + "/v1/messages", "not json");
            assertEquals(400, response.status());
            assertEquals("invalid_request_error", response.json().path("error").path("type").asText());
        }
    }
}
