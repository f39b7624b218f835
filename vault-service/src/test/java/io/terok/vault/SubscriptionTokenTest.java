package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

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
 * A Claude subscription token (what {@code claude setup-token} prints) stored for anthropic: the task keeps sending
 * its phantom as {@code x-api-key}, as Claude Code does with ANTHROPIC_API_KEY, and Anthropic gets the token the way
 * it accepts one: {@code Authorization: Bearer} with the {@code oauth-2025-04-20} beta flag, no {@code x-api-key}.
 * Without the flag (the broker before this change) the mock sees only the bearer and this test fails.
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
        String phantom = api.stub().mintTaskTokens(MintTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-claude-sub"))
                .addProviders("anthropic").setCredentialSet("claude-sub").setHostAddress("127.0.0.1").build())
                .getEnvOrThrow("ANTHROPIC_API_KEY");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + BrokerTest.port() + "/v1/echo"))
                .header("x-api-key", phantom).header("anthropic-beta", "claude-code-20250219, interleaved-thinking-2025-05-14")
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        MultiMap got = BrokerTest.last("anthropic");
        assertEquals("Bearer " + TOKEN, got.get("authorization"));
        assertNull(got.get("x-api-key"), "neither the phantom nor the token as an API key");
        assertEquals("claude-code-20250219,interleaved-thinking-2025-05-14,oauth-2025-04-20", got.get("anthropic-beta"));
        assertFalse(r.body().contains(TOKEN), "an echoed token is redacted: " + r.body());
    }
}
