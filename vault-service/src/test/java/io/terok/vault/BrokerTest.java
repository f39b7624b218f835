package io.terok.vault;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.terok.api.v1.MintTaskTokensResponse;
import io.terok.api.v1.RevokeTaskTokensRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.api.v1.VaultStatusRequest;
import io.vertx.core.MultiMap;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The token broker over real HTTP (REST Assured) against mock providers on 127.0.0.1. */
@QuarkusTest
@QuarkusTestResource(MockUpstreams.class)
class BrokerTest {
    static VaultApi api;

    @BeforeEach
    void credentials() {
        if (api != null) {
            return;
        }
        api = new VaultApi();
        MockUpstreams.PROVIDERS.forEach(p -> api.putKey(p, VaultApi.realKey(p)));
    }

    @AfterAll
    static void close() {
        if (api != null) {
            api.close();
            api = null;
        }
    }

    static int port() {
        return VaultBeans.brokerPort();
    }

    static String token(MintTaskTokensResponse r, String envVar) {
        return r.getEnvOrThrow(envVar);
    }

    static MultiMap last(String provider) {
        List<MultiMap> l = MockUpstreams.RECEIVED.get(provider);
        return l.get(l.size() - 1);
    }

    @Test
    void eachProviderGetsItsRealCredentialInItsOwnHeader() {
        MintTaskTokensResponse m = api.mint(TaskIds.of("task-inject"), "anthropic", "openai", "github", "gitlab");
        String anthropic = token(m, "ANTHROPIC_API_KEY");
        Response r = given().header("x-api-key", anthropic).body("{\"q\":1}").post("/v1/echo");
        assertEquals(200, r.statusCode(), r.asString());
        MultiMap got = last("anthropic");
        assertEquals(VaultApi.realKey("anthropic"), got.get("x-api-key"));
        assertNull(got.get("authorization"));
        assertEquals("/v1/echo", got.get(":path"));
        assertFalse(r.asString().contains(VaultApi.realKey("anthropic")), "echoed secret redacted: " + r.asString());
        assertTrue(r.asString().contains(anthropic), "replaced by the phantom");
        assertEquals(anthropic + "|null", r.header("X-Echo-Auth"));

        given().header("Authorization", "Bearer " + token(m, "OPENAI_API_KEY")).get("/v1/models").then().statusCode(200);
        assertEquals("Bearer " + VaultApi.realKey("openai"), last("openai").get("authorization"));

        given().header("Authorization", "token " + token(m, "GH_TOKEN")).get("/user").then().statusCode(200);
        assertEquals("token " + VaultApi.realKey("github"), last("github").get("authorization"));

        given().header("Private-Token", token(m, "GITLAB_TOKEN")).get("/v4/projects?x=1").then().statusCode(200);
        assertEquals(VaultApi.realKey("gitlab"), last("gitlab").get("private-token"));
        assertEquals("/api/v4/projects?x=1", last("gitlab").get(":path"), "upstream base path kept, query kept");

        String basic = java.util.Base64.getEncoder().encodeToString(("x-access-token:" + token(m, "GH_TOKEN")).getBytes(StandardCharsets.UTF_8));
        given().header("Authorization", "Basic " + basic).get("/repos").then().statusCode(200);
        assertEquals("token " + VaultApi.realKey("github"), last("github").get("authorization"));
    }

    /** Gemini's clients send the key in x-goog-api-key: the phantom is taken from there and replaced there. */
    @Test
    void geminisKeyHeaderCarriesThePhantomAndTheRealKeyGoesUpstreamInIt() {
        MintTaskTokensResponse m = api.mint(TaskIds.of("task-google"), "google");
        String phantom = token(m, "GEMINI_API_KEY");
        assertEquals("http://127.0.0.1:" + port(), m.getEnvOrThrow("GOOGLE_GEMINI_BASE_URL"));
        // As the SDK sends it: the ':' of the method is not percent-encoded.
        given().urlEncodingEnabled(false).header("x-goog-api-key", phantom).body("{}")
                .post("/v1beta/models/gemini-2.5-pro:generateContent").then().statusCode(200);
        MultiMap got = last("google");
        assertEquals(VaultApi.realKey("google"), got.get("x-goog-api-key"));
        assertEquals("/v1beta/models/gemini-2.5-pro:generateContent", got.get(":path"));
        assertFalse(got.toString().contains(phantom), "the phantom never leaves: " + got);

        // An Anthropic token smuggled in Gemini's header still only reaches Anthropic, and never as the phantom.
        String anthropic = token(api.mint(TaskIds.of("task-google-cross"), "anthropic"), "ANTHROPIC_API_KEY");
        int google = MockUpstreams.COUNT.get("google").get();
        given().header("x-goog-api-key", anthropic).get("/v1/ok").then().statusCode(200);
        assertEquals(google, MockUpstreams.COUNT.get("google").get());
        assertEquals(VaultApi.realKey("anthropic"), last("anthropic").get("x-api-key"));
        assertNull(last("anthropic").get("x-goog-api-key"), "the task's auth header is removed");
    }

    @Test
    void missingUnknownAndRevokedTokensGet401JsonAndNeverReachAProvider() {
        int before = MockUpstreams.COUNT.values().stream().mapToInt(java.util.concurrent.atomic.AtomicInteger::get).sum();
        given().get("/v1/messages").then().statusCode(401).contentType("application/json").body("error", equalTo("missing_token"));
        given().header("x-api-key", "terok-p-" + "0".repeat(64)).get("/v1/messages").then().statusCode(401)
                .body("error", equalTo("invalid_token"));
        given().header("x-api-key", VaultApi.realKey("anthropic")).get("/v1/messages").then().statusCode(401);
        MintTaskTokensResponse m = api.mint(TaskIds.of("task-revoke"), "anthropic");
        String t = token(m, "ANTHROPIC_API_KEY");
        given().header("x-api-key", t).get("/v1/ok").then().statusCode(200);
        int afterOk = MockUpstreams.COUNT.values().stream().mapToInt(java.util.concurrent.atomic.AtomicInteger::get).sum();
        assertEquals(before + 1, afterOk);
        assertEquals(1, api.stub().revokeTaskTokens(RevokeTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-revoke")).build()).getRevoked());
        given().header("x-api-key", t).get("/v1/ok").then().statusCode(401).body("error", equalTo("invalid_token"));
        assertEquals(0, api.stub().revokeTaskTokens(RevokeTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-revoke")).build()).getRevoked());
        assertEquals(afterOk, MockUpstreams.COUNT.values().stream().mapToInt(java.util.concurrent.atomic.AtomicInteger::get).sum());
    }

    @Test
    void aTokenOnlyEverReachesItsOwnProvider() {
        MintTaskTokensResponse m = api.mint(TaskIds.of("task-cross"), "anthropic");
        int openai = MockUpstreams.COUNT.get("openai").get();
        // An OpenAI-shaped request (path, Bearer header) with an Anthropic token still goes to Anthropic.
        given().header("Authorization", "Bearer " + token(m, "ANTHROPIC_API_KEY")).post("/v1/chat/completions").then().statusCode(200);
        assertEquals(openai, MockUpstreams.COUNT.get("openai").get());
        assertEquals("/v1/chat/completions", last("anthropic").get(":path"));
        assertEquals(VaultApi.realKey("anthropic"), last("anthropic").get("x-api-key"));
        assertNull(last("anthropic").get("authorization"), "the phantom never leaves: " + last("anthropic"));
    }

    @Test
    void aChunkedUploadAndALargeDownloadStreamThroughWithTheSecretRedacted() throws Exception {
        String t = token(api.mint(TaskIds.of("task-stream"), "anthropic"), "ANTHROPIC_API_KEY");
        HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        byte[] upload = "0123456789abcdef".repeat(128 << 10).getBytes(StandardCharsets.US_ASCII); // 2 MiB, length unknown
        HttpResponse<String> up = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/v1/echo"))
                .header("x-api-key", t).POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(upload)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, up.statusCode(), up.body());
        io.vertx.core.json.JsonObject echoed = new io.vertx.core.json.JsonObject(up.body());
        assertEquals(upload.length, echoed.getString("body").length(), "the whole upload reached the provider");
        assertEquals("chunked", echoed.getJsonObject("headers").getString("transfer-encoding"), "streamed, not buffered to a length");

        HttpResponse<byte[]> down = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/v1/big?mb=24"))
                .header("x-api-key", t).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, down.statusCode());
        String body = new String(down.body(), StandardCharsets.US_ASCII);
        assertEquals((24L << 20) + t.length(), body.length(), "every byte, with the echoed key replaced by the phantom");
        assertFalse(body.contains(VaultApi.realKey("anthropic")), "the real key never reaches the task");
        assertEquals(1, body.split(java.util.regex.Pattern.quote(t), -1).length - 1);
    }

    @Test
    void aBodyOverTheLimitGets413AndNeverReachesTheProviderWhole() throws Exception {
        String t = token(api.mint(TaskIds.of("task-limit"), "anthropic"), "ANTHROPIC_API_KEY");
        byte[] big = new byte[(int) MockUpstreams.MAX_REQUEST_BYTES + (1 << 20)];
        int before = MockUpstreams.COUNT.get("anthropic").get();
        given().header("x-api-key", t).body(big).post("/v1/echo").then().statusCode(413)
                .contentType("application/json").body("error", equalTo("request_too_large"));
        assertEquals(before, MockUpstreams.COUNT.get("anthropic").get(), "a too-large Content-Length is refused before any upstream call");

        // Chunked, so the size is only known while it streams: cut off at the limit, the provider never gets it whole.
        HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/v1/echo"))
                .header("x-api-key", t).POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, r.statusCode(), r.body());
        assertTrue(r.body().contains("request_too_large"), r.body());
        assertTrue(MockUpstreams.ECHOED_BYTES.stream().allMatch(n -> n <= MockUpstreams.MAX_REQUEST_BYTES),
                "the provider got a whole over-limit body: " + MockUpstreams.ECHOED_BYTES);
        // The broker still serves the same task afterwards.
        given().header("x-api-key", t).body("{}").post("/v1/echo").then().statusCode(200);
    }

    @Test
    void anUpstreamThatIsDownGets502JsonWithoutTheSecret() {
        api.putKey("down", VaultApi.realKey("down"));
        String t = token(api.mint(TaskIds.of("task-down"), "down"), "DOWN_API_KEY");
        Response r = given().header("x-api-key", t).get("/v1/messages");
        assertEquals(502, r.statusCode(), r.asString());
        assertEquals("upstream_error", r.jsonPath().getString("error"));
        assertTrue(r.jsonPath().getString("message").startsWith("cannot reach the upstream"), r.asString());
        assertFalse(r.asString().contains(VaultApi.realKey("down")));
    }

    @Test
    void hopByHopHeadersAreDroppedBothWays() {
        String t = token(api.mint(TaskIds.of("task-hop"), "openai"), "OPENAI_API_KEY");
        Response r = given().header("Authorization", "Bearer " + t).header("Connection", "X-Hop").header("X-Hop", "1")
                .header("Keep-Alive", "timeout=9").header("TE", "trailers").header("Proxy-Authorization", "Basic Zm9vOmJhcg==")
                .header("X-End", "kept").header("Accept-Encoding", "gzip").get("/v1/hop");
        assertEquals(200, r.statusCode());
        MultiMap got = last("openai");
        for (String h : List.of("x-hop", "keep-alive", "te", "proxy-authorization")) {
            assertNull(got.get(h), h + " forwarded: " + got);
        }
        assertEquals("kept", got.get("x-end"));
        assertNull(r.header("X-Resp-Hop"), "response hop-by-hop header named in Connection");
        assertNull(r.header("Keep-Alive"));
        assertEquals("kept", r.header("X-End-To-End"));
    }

    @Test
    void serverSentEventsArriveOneByOne() throws Exception {
        String t = token(api.mint(TaskIds.of("task-sse"), "anthropic"), "ANTHROPIC_API_KEY");
        HttpClient c = HttpClient.newHttpClient();
        long start = System.nanoTime();
        HttpResponse<java.io.InputStream> resp = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/v1/sse?n=4&gap=400"))
                .header("x-api-key", t).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, resp.statusCode());
        assertEquals("text/event-stream", resp.headers().firstValue("content-type").orElse(""));
        List<Long> at = new ArrayList<>();
        List<String> events = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("data:")) {
                    events.add(line);
                    at.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
            }
        }
        assertEquals(List.of("data: start", "data: token-1", "data: token-2", "data: token-3", "data: token-4"), events);
        assertTrue(at.get(0) + 1200 < at.get(at.size() - 1), "first event without waiting for the rest: " + at);
        for (int i = 1; i < at.size(); i++) {
            assertTrue(at.get(i) - at.get(i - 1) > 250, "events spaced as the upstream sent them: " + at);
        }
    }

    @Test
    void revokingATasksTokensCutsItsServerSentEventStreamAtOnce() throws Exception {
        String t = token(api.mint(TaskIds.of("task-sse-cut"), "anthropic"), "ANTHROPIC_API_KEY");
        HttpClient c = HttpClient.newHttpClient();
        HttpResponse<java.io.InputStream> resp = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/v1/sse?n=40&gap=500"))
                .header("x-api-key", t).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, resp.statusCode());
        List<String> events = new ArrayList<>();
        long cutAt = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("data:")) {
                    events.add(line);
                    if (events.size() == 2) {
                        api.stub().revokeTaskTokens(RevokeTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-sse-cut")).build());
                        cutAt = System.nanoTime();
                    }
                }
            }
        } catch (java.io.IOException e) {
            // the cut: the stream ends with an error
        }
        long after = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
        assertTrue(cutAt > 0 && events.size() <= 3, "the stream stopped at the revoke: " + events.size() + " events");
        assertTrue(after < 2000, "cut at once, not when the upstream finished: " + after + " ms");
        given().header("x-api-key", t).get("/v1/ok").then().statusCode(401).body("error", equalTo("invalid_token"));
    }

    @Test
    void redirectsAreRelayedNotFollowed() {
        String t = token(api.mint(TaskIds.of("task-redirect"), "github"), "GH_TOKEN");
        int before = MockUpstreams.COUNT.get("github").get();
        given().redirects().follow(false).header("Authorization", "token " + t).get("/redirect")
                .then().statusCode(302).header("Location", "http://elsewhere.invalid/x");
        assertEquals(before + 1, MockUpstreams.COUNT.get("github").get());
    }

    @Test
    void everyRequestIsAuditedInOneJsonLineWithoutSecrets() throws Exception {
        MintTaskTokensResponse m = api.mint(TaskIds.of("task-audit"), "openai");
        String t = token(m, "OPENAI_API_KEY");
        given().header("Authorization", "Bearer " + t).get("/v1/audited?secret=q").then().statusCode(200);
        given().header("Authorization", "Bearer terok-p-nope").get("/v1/denied").then().statusCode(401);
        Path file = MockUpstreams.dataDir.resolve("vault/audit.jsonl");
        String content = "";
        for (int i = 0; i < 50 && !(content.contains("/v1/audited") && content.contains("/v1/denied")); i++) {
            Thread.sleep(50);
            content = Files.exists(file) ? Files.readString(file) : "";
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String ok = content.lines().filter(l -> l.contains("/v1/audited")).findFirst().orElseThrow();
        io.vertx.core.json.JsonObject j = new io.vertx.core.json.JsonObject(ok);
        assertEquals(TaskIds.of("task-audit"), j.getString("task"));
        assertEquals(m.getTokens(0).getId(), j.getString("token"));
        assertEquals("openai", j.getString("provider"));
        assertEquals("GET", j.getString("method"));
        assertEquals("/v1/audited", j.getString("path"), "no query string");
        assertEquals(200, j.getInteger("status"));
        assertEquals("ok", j.getString("outcome"));
        assertTrue(j.containsKey("time") && j.containsKey("duration_ms"));
        String denied = content.lines().filter(l -> l.contains("/v1/denied")).findFirst().orElseThrow();
        assertEquals("invalid_token", new io.vertx.core.json.JsonObject(denied).getString("outcome"));
        for (String p : MockUpstreams.PROVIDERS) {
            assertFalse(content.contains(VaultApi.realKey(p)), "no real secret in the audit");
        }
        assertFalse(content.contains(t), "no phantom token in the audit");
        assertFalse(content.contains("terok-p-"), "no token values at all");
    }

    @Test
    void absoluteFormConnectDotSegmentsAndEncodedSlashesGet400AndNeverReachTheProvider() throws Exception {
        String t = token(api.mint(TaskIds.of("task-target"), "anthropic"), "ANTHROPIC_API_KEY");
        int before = MockUpstreams.COUNT.get("anthropic").get();
        List<String> lines = List.of("GET http://evil.invalid/v1/ok HTTP/1.1", "GET http://127.0.0.1:" + port() + "/v1/ok HTTP/1.1",
                "CONNECT 127.0.0.1:" + MockUpstreams.PORTS.get("openai") + " HTTP/1.1", "GET /v1/../admin HTTP/1.1",
                "GET /v1/%2e%2e/admin HTTP/1.1", "GET /v1/.%2E/admin HTTP/1.1", "GET /v1/%2E./admin HTTP/1.1",
                "GET /v1/a%2fb HTTP/1.1", "GET /v1/a%5Cb HTTP/1.1", "GET //evil.invalid/v1/ok HTTP/1.1",
                "GET http://evil.invalid/v1/ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13");
        for (String line : lines) {
            String got = raw(line + "\r\nHost: evil.invalid\r\nx-api-key: " + t + "\r\n\r\n");
            // (Vert.x's HTTP/1 server already answers a CONNECT with its own bare 400; the broker refuses it on HTTP/2.)
            assertTrue(got.startsWith("HTTP/1.1 400") && (line.startsWith("CONNECT") || got.contains("\"bad_target\"")),
                    line + " -> " + got);
        }
        assertEquals(before, MockUpstreams.COUNT.get("anthropic").get(), "none reached the provider");
        // An honest request: the upstream sees the route's Host, not the one the task sent.
        String ok = raw("GET /v1/ok?x=../y HTTP/1.1\r\nHost: evil.invalid\r\nx-api-key: " + t + "\r\n\r\n");
        assertTrue(ok.startsWith("HTTP/1.1 200"), ok);
        assertEquals("127.0.0.1:" + MockUpstreams.PORTS.get("anthropic"), last("anthropic").get("host"));
    }

    @Test
    void aWebSocketUpgradeWithAForgedHostArrivesWithTheRoutesHost() throws Exception {
        String t = token(api.mint(TaskIds.of("task-wshost"), "anthropic"), "ANTHROPIC_API_KEY");
        String got = raw("GET /v1/ws HTTP/1.1\r\nHost: evil.invalid\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nx-api-key: " + t + "\r\n\r\n");
        assertTrue(got.startsWith("HTTP/1.1 101"), got);
        MultiMap up = last("anthropic");
        assertEquals("/v1/ws", up.get(":path"));
        assertEquals("127.0.0.1:" + MockUpstreams.PORTS.get("anthropic"), up.get("host"));
    }

    /** One raw HTTP/1.1 exchange on a fresh connection: the answer's head and whatever body came within a second. */
    static String raw(String request) throws java.io.IOException {
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            java.io.InputStream in = s.getInputStream();
            StringBuilder b = new StringBuilder();
            byte[] buf = new byte[8192];
            int r;
            while ((r = in.read(buf)) > 0) {
                b.append(new String(buf, 0, r, StandardCharsets.ISO_8859_1));
                int head = b.indexOf("\r\n\r\n");
                if (head >= 0) {
                    String h = b.substring(0, head).toLowerCase(java.util.Locale.ROOT);
                    int cl = h.indexOf("content-length:");
                    if (h.startsWith("http/1.1 101") || (cl >= 0 && b.length() - head - 4
                            >= Integer.parseInt(h.substring(cl + 15).split("\r\n")[0].trim()))) {
                        break;
                    }
                }
            }
            return b.toString();
        } catch (java.net.SocketTimeoutException e) {
            return "(timeout)";
        }
    }

    @Test
    void aThousandControlCharacterHeadersGet400AndNeverStarveAnotherTask() throws Exception {
        String evil = token(api.mint(TaskIds.of("task-ctl"), "anthropic"), "ANTHROPIC_API_KEY");
        String honest = token(api.mint(TaskIds.of("task-honest"), "anthropic"), "ANTHROPIC_API_KEY");
        int before = MockUpstreams.COUNT.get("anthropic").get();
        // Over HTTP/2 (cleartext, prior knowledge) a header value reaches the broker with its LF, CR or NUL as sent
        // (HTTP/1 parsing already refuses them); the upstream client used to throw on it inside its pool callback and
        // keep the pooled connection for ever.
        String[] values = {"a\nb", "a\rb", "a\u0000b", "a\r\nx-injected: 1"};
        int refused = 0;
        for (int conn = 0; conn < 20; conn++) {
            refused += H2.refusedOf(port(), 50, i -> List.of(
                    ":method", "GET", ":scheme", "http", ":authority", "127.0.0.1", ":path", "/v1/ok",
                    "x-api-key", evil, "x-evil", values[i % values.length]));
        }
        // Another task's ordinary request still goes through at once.
        HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(java.time.Duration.ofSeconds(5)).build();
        HttpResponse<String> ok = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/v1/ok"))
                .timeout(java.time.Duration.ofSeconds(10)).header("x-api-key", honest).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(1000, refused, "every request with a control character in a header refused with 400 bad_header naming it");
        assertEquals(before + 1, MockUpstreams.COUNT.get("anthropic").get(), "none of them reached the provider");
    }

    /** A minimal HTTP/2 cleartext client that sends header values exactly as given (HPACK literals, no validation). */
    static final class H2 {
        /**
         * Opens one connection, sends {@code streams} requests with the headers {@code headers(i)} and counts the
         * answers that are a 400 whose JSON body says bad_header and names x-evil (5 s for the lot).
         */
        static int refusedOf(int port, int streams, java.util.function.IntFunction<List<String>> headers) throws Exception {
            try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                java.io.OutputStream out = s.getOutputStream();
                out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                frame(out, 4, 0, 0, new byte[0]);
                for (int i = 0; i < streams; i++) {
                    java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
                    List<String> h = headers.apply(i);
                    for (int k = 0; k < h.size(); k += 2) {
                        block.write(0);
                        literal(block, h.get(k));
                        literal(block, h.get(k + 1));
                    }
                    frame(out, 1, 0x5, 2 * i + 1, block.toByteArray()); // END_STREAM | END_HEADERS
                }
                out.flush();
                java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                java.util.Map<Integer, StringBuilder> bodies = new java.util.HashMap<>();
                java.util.Set<Integer> done = new java.util.HashSet<>();
                try {
                    while (done.size() < streams) {
                        s.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                        int len = in.readUnsignedByte() << 16 | in.readUnsignedShort();
                        int type = in.readUnsignedByte();
                        int flags = in.readUnsignedByte();
                        int stream = in.readInt() & 0x7fffffff;
                        byte[] payload = in.readNBytes(len);
                        if (type == 4 && (flags & 1) == 0) {
                            frame(out, 4, 1, 0, new byte[0]);
                        } else if (type == 0) {
                            bodies.computeIfAbsent(stream, x -> new StringBuilder()).append(new String(payload, StandardCharsets.UTF_8));
                        } else if (type == 3 || type == 7) {
                            done.add(stream);
                        }
                        if ((type == 0 || type == 1) && (flags & 1) != 0) {
                            done.add(stream);
                        }
                    }
                } catch (java.net.SocketTimeoutException | java.io.EOFException e) {
                    // streams without an answer are not counted
                }
                int n = 0;
                for (StringBuilder b : bodies.values()) {
                    if (b.indexOf("\"bad_header\"") >= 0 && b.indexOf("x-evil") >= 0) {
                        n++;
                    }
                }
                return n;
            }
        }

        private static void frame(java.io.OutputStream out, int type, int flags, int stream, byte[] payload) throws java.io.IOException {
            out.write(new byte[] {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length, (byte) type,
                    (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
            out.write(payload);
        }

        private static void literal(java.io.ByteArrayOutputStream b, String s) {
            byte[] v = s.getBytes(StandardCharsets.ISO_8859_1);
            int n = v.length;
            if (n < 127) {
                b.write(n);
            } else {
                b.write(127);
                n -= 127;
                while (n >= 128) {
                    b.write((n & 0x7f) | 0x80);
                    n >>>= 7;
                }
                b.write(n);
            }
            b.write(v, 0, v.length);
        }
    }

    @Test
    void grpcIsRefusedOnTcpAndTheBrokerIsNotOnTheSocket() throws Exception {
        // With a valid phantom token, so the broker would forward it (the token check passes): only the guard stops it,
        // with its 403, which gRPC reports as PERMISSION_DENIED.
        String t = token(api.mint(TaskIds.of("task-grpc-tcp"), "anthropic"), "ANTHROPIC_API_KEY");
        io.grpc.Metadata md = new io.grpc.Metadata();
        md.put(io.grpc.Metadata.Key.of("x-api-key", io.grpc.Metadata.ASCII_STRING_MARSHALLER), t);
        int before = MockUpstreams.COUNT.get("anthropic").get();
        ManagedChannel tcp = NettyChannelBuilder.forAddress("127.0.0.1", port()).usePlaintext()
                .intercept(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(md)).build();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> VaultServiceGrpc.newBlockingStub(tcp)
                    .withDeadlineAfter(5, TimeUnit.SECONDS).status(VaultStatusRequest.getDefaultInstance()));
            assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.toString());
            assertTrue(String.valueOf(e.getStatus().getDescription()).contains("403"), e.toString());
            StatusRuntimeException h = assertThrows(StatusRuntimeException.class, () -> grpc.health.v1.HealthGrpc.newBlockingStub(tcp)
                    .withDeadlineAfter(5, TimeUnit.SECONDS).check(grpc.health.v1.HealthOuterClass.HealthCheckRequest.getDefaultInstance()));
            assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, h.getStatus().getCode(), h.toString());
        } finally {
            tcp.shutdownNow();
        }
        assertEquals(before, MockUpstreams.COUNT.get("anthropic").get(), "the gRPC calls never reached a provider");
        given().contentType("application/grpc").header("x-api-key", t).body(new byte[] {0, 0, 0, 0, 0})
                .post("/terok.v1.VaultService/Status").then().statusCode(403).body("error", equalTo("grpc_refused"));
        // Over the socket, the API answers (and only gRPC is served there).
        assertTrue(api.stub().status(VaultStatusRequest.getDefaultInstance()).getUnlocked());
        Path sock = Path.of(ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class), "vault.sock");
        Process curl = new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", sock.toString(),
                "-H", "x-api-key: whatever", "http://localhost/v1/messages").start();
        assertTrue(curl.waitFor(20, TimeUnit.SECONDS));
        assertEquals("404", new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static Map<String, String> envOf(MintTaskTokensResponse r) {
        return r.getEnvMap();
    }
}
