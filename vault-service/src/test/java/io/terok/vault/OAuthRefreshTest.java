package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.CredentialInfo;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.ListCredentialsRequest;
import io.terok.api.v1.LockRequest;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.PutCredentialRequest;
import io.terok.api.v1.UnlockRequest;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** OAuth access tokens refreshed by the broker against a mock token endpoint on 127.0.0.1. */
@QuarkusTest
@QuarkusTestResource(MockUpstreams.class)
class OAuthRefreshTest {
    static VaultApi api;
    static HttpClient http;

    @BeforeAll
    static void setUp() {
        api = new VaultApi();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void tearDown() {
        api.close();
    }

    /** Stores an OpenAI OAuth credential in its own set and mints a token for it. */
    static String oauth(String set, String access, String refresh, long expiresInMillis) {
        long at = System.currentTimeMillis() + expiresInMillis;
        api.stub().putCredential(PutCredentialRequest.newBuilder().setCredentialSet(set).setProvider("openai")
                .setKind(CredentialKind.CREDENTIAL_KIND_OAUTH).setOauthAccessToken(access).setOauthRefreshToken(refresh)
                .setOauthExpiresAt(Timestamp.newBuilder().setSeconds(at / 1000)).build());
        return api.stub().mintTaskTokens(MintTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-" + set)).addProviders("openai")
                .setCredentialSet(set).setHostAddress("127.0.0.1").build()).getEnvOrThrow("OPENAI_API_KEY");
    }

    static CompletableFuture<HttpResponse<String>> get(String path, String token) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + BrokerTest.port() + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static CredentialInfo stored(String set) {
        return api.stub().listCredentials(ListCredentialsRequest.newBuilder().setCredentialSet(set).build()).getCredentials(0);
    }

    static int calls(String refreshToken) {
        AtomicInteger n = MockUpstreams.TOKEN_CALLS.get(refreshToken);
        return n == null ? 0 : n.get();
    }

    @Test
    void twentyConcurrentRequestsNearExpiryTriggerOneRefreshStoredAndUsed() throws Exception {
        String t = oauth("oauth-single", "REAL-oauth-access-old", "rt-good-single", 10_000);
        int before = MockUpstreams.RECEIVED.get("openai").size();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(get("/v1/echo?i=" + i, t));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertFalse(r.body().contains("REAL-oauth-access"), "the new access token is redacted too: " + r.body());
        }
        assertEquals(1, calls("rt-good-single"), "one refresh for 20 concurrent requests");
        String form = MockUpstreams.TOKEN_FORMS.stream().filter(f -> f.contains("rt-good-single")).findFirst().orElseThrow();
        assertEquals("grant_type=refresh_token&refresh_token=rt-good-single&client_id=" + MockUpstreams.OAUTH_CLIENT_ID, form);
        List<MultiMap> got = MockUpstreams.RECEIVED.get("openai");
        assertEquals(before + 20, got.size());
        for (MultiMap h : got.subList(before, got.size())) {
            assertEquals("Bearer REAL-oauth-access-for-rt-good-single", h.get("authorization"), "the refreshed token is used");
        }

        long expiry = stored("oauth-single").getOauthExpiresAt().getSeconds();
        long now = System.currentTimeMillis() / 1000;
        assertTrue(expiry > now + 3000 && expiry <= now + 3601, "new expiry stored: " + (expiry - now) + " s from now");
        // The database holds the new tokens: after a lock and an unlock (a reload from disk) they are still used,
        // and the stored refresh token is the new one (no second refresh while it is fresh).
        api.stub().lock(LockRequest.getDefaultInstance());
        assertTrue(api.stub().unlock(UnlockRequest.getDefaultInstance()).getUnlocked());
        assertEquals(expiry, stored("oauth-single").getOauthExpiresAt().getSeconds());
        assertEquals(200, get("/v1/after-reload", t).get(30, TimeUnit.SECONDS).statusCode());
        assertEquals("Bearer REAL-oauth-access-for-rt-good-single", BrokerTest.last("openai").get("authorization"));
        assertEquals(1, calls("rt-good-single"));
        assertEquals(0, calls("rt-good-single-next"));
    }

    @Test
    void aTokenFarFromExpiryIsNotRefreshed() throws Exception {
        String t = oauth("oauth-fresh", "REAL-oauth-access-fresh", "rt-good-fresh", 3_600_000);
        assertEquals(200, get("/v1/fresh", t).get(30, TimeUnit.SECONDS).statusCode());
        assertEquals("Bearer REAL-oauth-access-fresh", BrokerTest.last("openai").get("authorization"));
        assertEquals(0, calls("rt-good-fresh"));
    }

    @Test
    void aFailedRefreshGives502NamingTheCauseWithoutTheRefreshToken() throws Exception {
        String t = oauth("oauth-bad", "REAL-oauth-access-dead", "rt-bad-secret-123", -5_000);
        int before = MockUpstreams.COUNT.get("openai").get();
        HttpResponse<String> r = get("/v1/echo", t).get(30, TimeUnit.SECONDS);
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        JsonObject j = new JsonObject(r.body());
        assertEquals("oauth_refresh_failed", j.getString("error"));
        String m = j.getString("message");
        assertTrue(m.contains("HTTP 400") && m.contains("invalid_grant") && m.contains("/oauth/token"), m);
        assertFalse(r.body().contains("rt-bad-secret-123"), "the refresh token never reaches the task: " + r.body());
        assertFalse(r.body().contains("REAL-oauth-access-dead"), r.body());
        assertNull(r.headers().firstValue("x-echo-auth").orElse(null));
        assertEquals(before, MockUpstreams.COUNT.get("openai").get(), "the upstream is not called with a dead token");
        assertEquals(1, calls("rt-bad-secret-123"));
    }
}
