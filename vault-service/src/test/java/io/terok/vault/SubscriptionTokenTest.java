package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.PutCredentialRequest;
import io.vertx.core.MultiMap;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Claude subscription token (what {@code claude setup-token} prints) stored for anthropic: the task gets its phantom
 * in CLAUDE_CODE_OAUTH_TOKEN (no ANTHROPIC_API_KEY), so Claude Code sends it as {@code Authorization: Bearer} with the
 * {@code oauth-2025-04-20} beta flag, and Anthropic gets the token the way it accepts one: Bearer with that flag (once),
 * no {@code x-api-key}. A phantom sent as {@code x-api-key} (another tool in the task) goes out the same way.
 * Without the flag (the broker before it was added) the mock sees only the bearer and this test fails; with the
 * phantom in ANTHROPIC_API_KEY (the wiring before the subscription variable) the mint's environment check fails.
 */
@QuarkusTest
@QuarkusTestResource(MockUpstreams.class)
class SubscriptionTokenTest {
    static final String TOKEN = "sk-ant-oat01-REAL-subscription-token-0123456789abcdef";
    static VaultApi api;

    @BeforeAll
    static void setUp() {
        api = new VaultApi();
    }

    @AfterAll
    static void tearDown() {
        api.close();
    }

    @Test
    void aClaudeSubscriptionTokenGoesOutAsBearerWithTheOAuthBetaFlagAddedToTheAgents() throws Exception {
        api.stub().putCredential(PutCredentialRequest.newBuilder().setCredentialSet("claude-sub").setProvider("anthropic")
                .setKind(CredentialKind.CREDENTIAL_KIND_OAUTH).setOauthAccessToken(TOKEN).build());
        java.util.Map<String, String> env = api.stub().mintTaskTokens(MintTaskTokensRequest.newBuilder()
                .setTaskId(TaskIds.of("task-claude-sub")).addProviders("anthropic").setCredentialSet("claude-sub")
                .setHostAddress("127.0.0.1").build()).getEnvMap();
        String phantom = env.get("CLAUDE_CODE_OAUTH_TOKEN");
        assertTrue(phantom != null && phantom.startsWith("terok-p-"), "a subscription's phantom is an OAuth token: " + env.keySet());
        assertFalse(env.containsKey("ANTHROPIC_API_KEY"), "no API key beside it (Claude Code would prefer it): " + env.keySet());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        // As Claude Code 2.1.332 sends a request on CLAUDE_CODE_OAUTH_TOKEN.
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + BrokerTest.port() + "/v1/echo"))
                .header("Authorization", "Bearer " + phantom)
                .header("anthropic-beta", "claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14")
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        MultiMap got = BrokerTest.last("anthropic");
        assertEquals("Bearer " + TOKEN, got.get("authorization"));
        assertNull(got.get("x-api-key"), "neither the phantom nor the token as an API key");
        assertEquals("claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14", got.get("anthropic-beta"),
                "the agent's flags kept, the OAuth flag once");
        assertFalse(r.body().contains(TOKEN), "an echoed token is redacted: " + r.body());

        r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + BrokerTest.port() + "/v1/echo"))
                .header("x-api-key", phantom).header("anthropic-beta", "claude-code-20250219, interleaved-thinking-2025-05-14")
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        got = BrokerTest.last("anthropic");
        assertEquals("Bearer " + TOKEN, got.get("authorization"));
        assertNull(got.get("x-api-key"), "neither the phantom nor the token as an API key");
        assertEquals("claude-code-20250219,interleaved-thinking-2025-05-14,oauth-2025-04-20", got.get("anthropic-beta"));
        assertFalse(r.body().contains(TOKEN), "an echoed token is redacted: " + r.body());
    }
}
