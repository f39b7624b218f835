package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.RevokeTaskTokensRequest;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** WebSocket bridging through the broker (a Vert.x WebSocket client) to mock providers on 127.0.0.1. */
@QuarkusTest
@QuarkusTestResource(MockUpstreams.class)
class WebSocketBrokerTest {
    static VaultApi api;
    static Vertx vertx;
    static WebSocketClient client;

    @BeforeAll
    static void setUp() {
        api = new VaultApi();
        MockUpstreams.PROVIDERS.forEach(p -> api.putKey(p, VaultApi.realKey(p)));
        vertx = Vertx.vertx();
        client = vertx.createWebSocketClient();
    }

    @AfterAll
    static void tearDown() {
        api.close();
        client.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    static WebSocket connect(String uri, String header, String value) throws Exception {
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(BrokerTest.port()).setURI(uri);
        if (header != null) {
            o.addHeader(header, value);
        }
        return client.connect(o).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    static int upstreamCalls() {
        return MockUpstreams.COUNT.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    @Test
    void framesPassBothWaysWithTheRealCredentialInjectedAndTheEchoedSecretRedacted() throws Exception {
        String t = api.mint(TaskIds.of("task-ws"), "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY");
        WebSocket ws = connect("/v1/ws?model=m", "x-api-key", t);
        BlockingQueue<Object> got = new LinkedBlockingQueue<>();
        ws.textMessageHandler(got::add);
        ws.binaryMessageHandler(b -> got.add(b.getBytes()));

        MultiMap upgrade = BrokerTest.last("anthropic");
        assertEquals("/v1/ws?model=m", upgrade.get(":path"));
        assertEquals(VaultApi.realKey("anthropic"), upgrade.get("x-api-key"));
        assertNull(upgrade.get("authorization"));
        for (Map.Entry<String, String> e : upgrade.entries()) {
            assertFalse(e.getValue().contains("terok-p-"), "the phantom never reaches the upstream: " + e);
        }

        ws.writeTextMessage("hello");
        assertEquals("echo:hello", got.poll(10, TimeUnit.SECONDS));
        byte[] bin = {0, 1, 2, (byte) 0xff, 'x'};
        ws.writeBinaryMessage(Buffer.buffer(bin));
        assertArrayEquals(bin, (byte[]) got.poll(10, TimeUnit.SECONDS));
        ws.writeTextMessage("a".repeat(200_000));
        Object big = got.poll(10, TimeUnit.SECONDS);
        assertTrue(("echo:" + "a".repeat(200_000)).equals(big), "a message over several frames: "
                + (big == null ? "none" : String.valueOf(big).length() + " chars"));

        ws.writeTextMessage("secret");
        String echoed = (String) got.poll(10, TimeUnit.SECONDS);
        assertFalse(echoed.contains(VaultApi.realKey("anthropic")), "real secret redacted in a text frame: " + echoed);
        assertTrue(echoed.contains(t), "replaced by the phantom: " + echoed);

        MockUpstreams.WS_CLOSED.clear();
        ws.close((short) 1000).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 100 && MockUpstreams.WS_CLOSED.isEmpty(); i++) {
            Thread.sleep(50);
        }
        assertEquals(List.of("anthropic:1000"), List.copyOf(MockUpstreams.WS_CLOSED), "the client's close reached the upstream");

        java.nio.file.Path file = MockUpstreams.dataDir.resolve("vault/audit.jsonl");
        String line = null;
        for (int i = 0; i < 100 && line == null; i++) {
            Thread.sleep(50);
            line = java.nio.file.Files.readAllLines(file).stream().filter(l -> l.contains("\"" + TaskIds.of("task-ws") + "\"")).findFirst().orElse(null);
        }
        io.vertx.core.json.JsonObject j = new io.vertx.core.json.JsonObject(line);
        assertEquals("/v1/ws", j.getString("path"));
        assertEquals(101, j.getInteger("status"));
        assertEquals("ok", j.getString("outcome"));
    }

    /**
     * Issue 15 item 10: a WebSocket in progress is cut at once when the task's tokens are revoked (terok revoke, terok
     * rm), on both sides, not only refused at the next upgrade. (Run with the broker's cut disabled, the task's socket
     * stayed open and kept echoing after the revoke.)
     */
    @Test
    void revokingATasksTokensCutsItsOpenWebSocketAtOnce() throws Exception {
        String t = api.mint(TaskIds.of("task-ws-cut"), "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY");
        WebSocket ws = connect("/v1/ws", "x-api-key", t);
        BlockingQueue<Object> got = new LinkedBlockingQueue<>();
        CompletableFuture<Short> closed = new CompletableFuture<>();
        ws.textMessageHandler(got::add);
        ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
        ws.writeTextMessage("before");
        assertEquals("echo:before", got.poll(10, TimeUnit.SECONDS), "the session works before the revoke");
        MockUpstreams.WS_CLOSED.clear();

        long t0 = System.nanoTime();
        api.stub().revokeTaskTokens(RevokeTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-ws-cut")).build());
        Short code = closed.get(5, TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals((short) 1008, code, "closed as a policy violation (token revoked)");
        assertTrue(ms < 2000, "cut at once: " + ms + " ms");
        for (int i = 0; i < 100 && MockUpstreams.WS_CLOSED.isEmpty(); i++) {
            Thread.sleep(50);
        }
        assertEquals(List.of("anthropic:1001"), List.copyOf(MockUpstreams.WS_CLOSED), "the upstream side is closed too");
        ws.writeTextMessage("after");
        assertNull(got.poll(500, TimeUnit.MILLISECONDS), "nothing passes after the revoke");
        // and no new session: the token is gone
        ExecutionException again = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> connect("/v1/ws", "x-api-key", t));
        assertInstanceOf(UpgradeRejectedException.class, again.getCause());
        assertEquals(401, ((UpgradeRejectedException) again.getCause()).getStatus());
    }

    @Test
    void bearerTokensAndUpstreamBasePathsWorkForWebSocketsToo() throws Exception {
        String t = api.mint(TaskIds.of("task-ws-gitlab"), "gitlab").getEnvOrThrow("GITLAB_TOKEN");
        WebSocket ws = connect("/v4/ws", "Authorization", "Bearer " + t);
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        ws.textMessageHandler(got::add);
        ws.writeTextMessage("ping");
        assertEquals("echo:ping", got.poll(10, TimeUnit.SECONDS));
        MultiMap upgrade = BrokerTest.last("gitlab");
        assertEquals("/api/v4/ws", upgrade.get(":path"));
        assertEquals(VaultApi.realKey("gitlab"), upgrade.get("private-token"));
        assertNull(upgrade.get("authorization"), "the phantom's header is not forwarded");
        ws.close();
    }

    @Test
    void anUpstreamCloseClosesTheClientWithItsCodeAndRedactedReason() throws Exception {
        String t = api.mint(TaskIds.of("task-ws-close"), "openai").getEnvOrThrow("OPENAI_API_KEY");
        WebSocket ws = connect("/v1/ws", "Authorization", "Bearer " + t);
        CompletableFuture<String> closed = new CompletableFuture<>();
        ws.closeHandler(v -> closed.complete(ws.closeStatusCode() + " " + ws.closeReason()));
        ws.writeTextMessage("close-me");
        String c = closed.get(10, TimeUnit.SECONDS);
        assertTrue(c.startsWith("4001 bye "), c);
        assertFalse(c.contains(VaultApi.realKey("openai")), c);
        assertTrue(c.contains(t), c);
    }

    @Test
    void missingUnknownAndRevokedTokensGet401BeforeAnyUpgrade() throws Exception {
        int before = upstreamCalls();
        for (String[] h : new String[][] {{null, null}, {"x-api-key", "terok-p-" + "0".repeat(64)},
                {"x-api-key", VaultApi.realKey("anthropic")}}) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> connect("/v1/ws", h[0], h[1]));
            UpgradeRejectedException u = assertInstanceOf(UpgradeRejectedException.class, e.getCause());
            assertEquals(401, u.getStatus());
            assertTrue(u.getBody().toString().contains(h[0] == null ? "missing_token" : "invalid_token"), u.getBody().toString());
        }
        String t = api.mint(TaskIds.of("task-ws-revoked"), "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY");
        api.stub().revokeTaskTokens(RevokeTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-ws-revoked")).build());
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> connect("/v1/ws", "x-api-key", t));
        assertEquals(401, assertInstanceOf(UpgradeRejectedException.class, e.getCause()).getStatus());
        assertEquals(before, upstreamCalls(), "no upstream was contacted");
    }
}
