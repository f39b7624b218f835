package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.ListCredentialsRequest;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.MintTaskTokensResponse;
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
import org.junit.jupiter.api.function.Executable;

/**
 * A ChatGPT login (Codex's, `terok auth codex --subscription`) stored for the chatgpt route with its account id: the
 * task gets a phantom and the account id; the broker sends the real access token as Bearer to the ChatGPT backend's
 * Codex path and the vault's account id in ChatGPT-Account-Id, whatever account the task names.
 */
@QuarkusTest
@QuarkusTestResource(MockUpstreams.class)
class ChatGptRouteTest {
    static final String ACCESS = "REAL-chatgpt-access-token-0123456789";
    static final String ACCOUNT = "0d5e3c1a-2222-4000-8000-00000000cafe";
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
    void theAccountGoesToTheTaskAndTheHeaderAndTheRealTokenOnlyUpstream() throws Exception {
        api.stub().putCredential(PutCredentialRequest.newBuilder().setCredentialSet("chatgpt-sub").setProvider("chatgpt")
                .setKind(CredentialKind.CREDENTIAL_KIND_OAUTH).setOauthAccessToken(ACCESS).setOauthRefreshToken("rt-unused")
                .setOauthAccountId(ACCOUNT).build());
        assertEquals(ACCOUNT, api.stub().listCredentials(ListCredentialsRequest.newBuilder().setCredentialSet("chatgpt-sub").build())
                .getCredentials(0).getOauthAccountId());
        MintTaskTokensResponse m = api.stub().mintTaskTokens(MintTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-chatgpt"))
                .addProviders("chatgpt").setCredentialSet("chatgpt-sub").setHostAddress("127.0.0.1").build());
        String phantom = m.getEnvOrThrow("TEROK_CHATGPT_TOKEN");
        assertEquals(ACCOUNT, m.getEnvOrThrow("TEROK_CHATGPT_ACCOUNT_ID"));
        assertTrue(m.getRelayedHostsList().contains("127.0.0.1"), "the upstream and the issuer are relayed: " + m.getRelayedHostsList());

        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + BrokerTest.port() + "/responses"))
                .header("Authorization", "Bearer " + phantom).header("ChatGPT-Account-Id", "someone-elses-account")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        MultiMap got = BrokerTest.last("openai");
        assertEquals("/backend-api/codex/responses", got.get(":path"));
        assertEquals("Bearer " + ACCESS, got.get("authorization"));
        assertEquals(ACCOUNT, got.get("chatgpt-account-id"), "the vault's account, not the task's");
    }

    @Test
    void anAccountIdOfTheWrongShapeOrOnAnApiKeyIsRefused() {
        for (Executable e : new Executable[] {
                () -> api.stub().putCredential(PutCredentialRequest.newBuilder().setProvider("chatgpt")
                        .setKind(CredentialKind.CREDENTIAL_KIND_OAUTH).setOauthAccessToken(ACCESS).setOauthAccountId("a\r\nX-Evil: 1").build()),
                () -> api.stub().putCredential(PutCredentialRequest.newBuilder().setProvider("openai")
                        .setKind(CredentialKind.CREDENTIAL_KIND_API_KEY).setApiKey("sk-x").setOauthAccountId("acc").build())}) {
            StatusRuntimeException x = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, e);
            assertTrue(x.getMessage().contains("oauth_account_id"), x.getMessage());
        }
    }
}
