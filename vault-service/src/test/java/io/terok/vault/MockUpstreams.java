package io.terok.vault;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
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
    public static final List<String> PROVIDERS = List.of("anthropic", "openai", "github", "gitlab");
    public static final String PASSPHRASE = "test-vault-passphrase";
    public static final Map<String, List<MultiMap>> RECEIVED = new ConcurrentHashMap<>();
    public static final Map<String, AtomicInteger> COUNT = new ConcurrentHashMap<>();
    public static final Map<String, Integer> PORTS = new ConcurrentHashMap<>();
    public static Path dataDir;
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

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }
}
