package io.terok.vault;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fake provider APIs on 127.0.0.1 (random ports), one per provider, plus a fresh data directory; the vault under
 * test routes its providers to them and unlocks through a passphrase command. Each mock records what it received.
 * Paths: /echo (JSON of the request headers and path; the body repeats the auth header values so an echoed secret
 * can be checked), /sse?n=N&gap=MS (server-sent events), /hop (a response with hop-by-hop headers), /redirect
 * (302 to another host), anything else: 200 "ok".
 */
public class MockUpstreams implements QuarkusTestResourceLifecycleManager {
    public static final List<String> PROVIDERS = List.of("anthropic", "openai", "google", "github", "gitlab");
    public static final String PASSPHRASE = "test-vault-passphrase";
    public static final Map<String, List<MultiMap>> RECEIVED = new ConcurrentHashMap<>();
    public static final Map<String, AtomicInteger> COUNT = new ConcurrentHashMap<>();
    public static final Map<String, Integer> PORTS = new ConcurrentHashMap<>();
    /** "provider:close code" for every WebSocket the mocks saw closed. */
    public static final java.util.Queue<String> WS_CLOSED = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The mock OAuth token endpoint: calls per refresh token, and the form bodies it received. */
    public static final Map<String, AtomicInteger> TOKEN_CALLS = new ConcurrentHashMap<>();
    public static final java.util.Queue<String> TOKEN_FORMS = new java.util.concurrent.ConcurrentLinkedQueue<>();
    public static final String OAUTH_CLIENT_ID = "terok-test-client";
    public static Path dataDir;
    /** The broker's request body limit in these tests. */
    public static final long MAX_REQUEST_BYTES = 8L << 20;
    /** The size of every body /echo received in full. */
    public static final java.util.Queue<Integer> ECHOED_BYTES = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        Map<String, String> config = new HashMap<>();
        try {
            dataDir = Files.createTempDirectory("terok-vault-test-data");
            for (String p : PROVIDERS) {
                RECEIVED.put(p, new java.util.concurrent.CopyOnWriteArrayList<>());
                COUNT.put(p, new AtomicInteger());
                HttpServer s = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                        .requestHandler(req -> handle(p, req));
                s.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                PORTS.put(p, s.actualPort());
                config.put("terok.vault.providers." + p + ".upstream", "http://127.0.0.1:" + s.actualPort() + (p.equals("gitlab") ? "/api" : ""));
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        try {
            HttpServer token = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                    .requestHandler(MockUpstreams::tokenEndpoint);
            token.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            config.put("terok.vault.providers.openai.oauth-refresh-url", "http://127.0.0.1:" + token.actualPort() + "/oauth/token");
            config.put("terok.vault.providers.openai.oauth-client-id", OAUTH_CLIENT_ID);
            // The ChatGPT route on the openai mock (its requests are recorded there), never refreshing at the real issuer.
            config.put("terok.vault.providers.chatgpt.upstream", "http://127.0.0.1:" + PORTS.get("openai") + "/backend-api/codex");
            config.put("terok.vault.providers.chatgpt.oauth-refresh-url", "http://127.0.0.1:" + token.actualPort() + "/oauth/token");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        // A provider whose upstream is down: a loopback port nothing listens on any more.
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            config.put("terok.vault.providers.down.upstream", "http://127.0.0.1:" + free.getLocalPort());
            config.put("terok.vault.providers.down.auth-header", "x-api-key");
            config.put("terok.vault.providers.down.auth-prefix", "");
            config.put("terok.vault.providers.down.env.DOWN_API_KEY", "\\${token}"); // escaped: the literal placeholder
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        config.put("terok.vault.max-request-bytes", Long.toString(MAX_REQUEST_BYTES));
        config.put("terok.data-dir", dataDir.toString());
        config.put("terok.vault.passphrase-command", "printf %s " + PASSPHRASE);
        return config;
    }

    private static void handle(String provider, io.vertx.core.http.HttpServerRequest req) {
        COUNT.get(provider).incrementAndGet();
        MultiMap copy = MultiMap.caseInsensitiveMultiMap().addAll(req.headers()).add(":path", req.uri());
        List<MultiMap> got = RECEIVED.get(provider);
        if (got.size() < 1000) {
            got.add(copy);
        }
        String path = req.path();
        if (path.endsWith("/ws") && "websocket".equalsIgnoreCase(req.getHeader("upgrade"))) {
            String auth = req.getHeader("x-api-key") + "|" + req.getHeader("authorization") + "|" + req.getHeader("private-token");
            req.toWebSocket().onSuccess(ws -> {
                ws.textMessageHandler(m -> {
                    switch (m) {
                        case "secret" -> ws.writeTextMessage("you sent " + auth);
                        case "close-me" -> ws.close((short) 4001, "bye " + auth);
                        default -> ws.writeTextMessage("echo:" + m);
                    }
                });
                ws.binaryMessageHandler(ws::writeBinaryMessage);
                ws.closeHandler(v -> WS_CLOSED.add(provider + ":" + ws.closeStatusCode()));
            });
            return;
        }
        if (path.endsWith("/sse")) {
            int n = Integer.parseInt(req.getParam("n", "5"));
            long gap = Long.parseLong(req.getParam("gap", "300"));
            var resp = req.response().setChunked(true).putHeader("content-type", "text/event-stream");
            resp.write("data: start\n\n");
            AtomicInteger i = new AtomicInteger();
            req.response().headers();
            Vertx v = Vertx.currentContext().owner();
            v.setPeriodic(gap, id -> {
                int k = i.incrementAndGet();
                resp.write("data: token-" + k + "\n\n");
                if (k >= n) {
                    v.cancelTimer(id);
                    resp.end();
                }
            });
            return;
        }
        if (path.endsWith("/big")) {
            // ?mb=N megabytes in 64 KiB chunks, written as the connection drains, with the real key once in the middle.
            long total = Long.parseLong(req.getParam("mb", "1")) << 20;
            var resp = req.response().setChunked(true).putHeader("content-type", "application/octet-stream");
            byte[] chunk = new byte[64 << 10];
            java.util.Arrays.fill(chunk, (byte) 'x');
            String auth = String.valueOf(req.getHeader("x-api-key"));
            long[] sent = {0};
            boolean[] keySent = {false};
            Runnable[] pump = new Runnable[1];
            pump[0] = () -> {
                while (sent[0] < total && !resp.writeQueueFull()) {
                    if (!keySent[0] && sent[0] >= total / 2) {
                        resp.write(auth);
                        keySent[0] = true;
                    }
                    resp.write(Buffer.buffer(chunk));
                    sent[0] += chunk.length;
                }
                if (sent[0] >= total) {
                    resp.end();
                } else {
                    resp.drainHandler(v -> pump[0].run());
                }
            };
            req.body().onSuccess(b -> pump[0].run());
            return;
        }
        if (path.endsWith("/hop")) {
            req.response().putHeader("Connection", "X-Resp-Hop").putHeader("X-Resp-Hop", "1").putHeader("Keep-Alive", "timeout=5")
                    .putHeader("X-End-To-End", "kept").end("hop");
            return;
        }
        if (path.endsWith("/redirect")) {
            req.response().setStatusCode(302).putHeader("Location", "http://elsewhere.invalid/x").end();
            return;
        }
        if (path.endsWith("/echo")) {
            req.body().onSuccess(body -> {
                ECHOED_BYTES.add(body.length());
                JsonObject j = new JsonObject().put("path", req.uri()).put("body", body.toString());
                JsonObject h = new JsonObject();
                req.headers().forEach(e -> h.put(e.getKey().toLowerCase(), e.getValue()));
                j.put("headers", h);
                req.response().putHeader("content-type", "application/json")
                        .putHeader("X-Echo-Auth", String.valueOf(req.getHeader("x-api-key")) + "|" + req.getHeader("authorization"))
                        .end(j.encode());
            });
            return;
        }
        req.body().onSuccess(b -> req.response().end("ok"));
    }

    /**
     * POST /oauth/token: a refresh token starting with "rt-good" gets, after 300 ms, a new access token
     * ("REAL-oauth-access-for-" + the refresh token), refresh token (+ "-next") and expires_in 3600; any other gets
     * 400 invalid_grant with a description that repeats the refresh token (the broker must not pass it on).
     */
    private static void tokenEndpoint(io.vertx.core.http.HttpServerRequest req) {
        req.body().onSuccess(body -> {
            String form = body.toString();
            TOKEN_FORMS.add(form);
            String rt = "";
            for (String kv : form.split("&")) {
                if (kv.startsWith("refresh_token=")) {
                    rt = java.net.URLDecoder.decode(kv.substring("refresh_token=".length()), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
            TOKEN_CALLS.computeIfAbsent(rt, k -> new AtomicInteger()).incrementAndGet();
            String refresh = rt;
            if (rt.startsWith("rt-good")) {
                Vertx.currentContext().owner().setTimer(300, id -> req.response().putHeader("content-type", "application/json")
                        .end(new JsonObject().put("access_token", "REAL-oauth-access-for-" + refresh).put("token_type", "Bearer")
                                .put("refresh_token", refresh + "-next").put("expires_in", 3600).encode()));
            } else {
                req.response().setStatusCode(400).putHeader("content-type", "application/json")
                        .end(new JsonObject().put("error", "invalid_grant")
                                .put("error_description", "refresh token " + refresh + " is revoked").encode());
            }
        });
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }
}
