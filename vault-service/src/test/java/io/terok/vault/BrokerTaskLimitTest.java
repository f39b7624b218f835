package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One task flooding the broker (far past its default allowance: 20 requests a second, burst 60) is answered 429 with
 * Retry-After and never reaches the provider past its allowance, while another task's request is relayed as always.
 * Without the limiter every one of the flood's requests reached the provider with the shared real key.
 */
@QuarkusTest
class BrokerTaskLimitTest {
    @Test
    void aFloodingTaskIsRefusedPastItsAllowanceAndAnotherTaskIsNot() throws Exception {
        try (VaultApi api = new VaultApi()) {
            api.putKey("anthropic", VaultApi.realKey("anthropic"));
            String flooder = api.mint(TaskIds.of("limit-flooder"), "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY");
            String other = api.mint(TaskIds.of("limit-other"), "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY");
            HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).connectTimeout(Duration.ofSeconds(5)).build();
            int before = MockUpstreams.COUNT.get("anthropic").get();
            List<CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                flood.add(http.sendAsync(request(flooder, "/v1/flood" + i), HttpResponse.BodyHandlers.ofString()));
            }
            int ok = 0;
            int limited = 0;
            int dropped = 0;
            List<String> other429 = new ArrayList<>();
            for (CompletableFuture<HttpResponse<String>> f : flood) {
                HttpResponse<String> r;
                try {
                    r = f.get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    // Past its held refusals a task's further requests are parked and then dropped unanswered (an
                    // HTTP/2 stream reset ENHANCE_YOUR_CALM, an HTTP/1.1 connection closed).
                    assertInstanceOf(java.io.IOException.class, e.getCause());
                    dropped++;
                    continue;
                }
                if (r.statusCode() == 200) {
                    ok++;
                } else if (r.statusCode() == 429) {
                    limited++;
                    assertTrue(r.body().contains("\"error\":\"rate_limited\""), r.body());
                    assertTrue(r.headers().firstValue("retry-after").isPresent(), "a refusal says when to retry");
                } else {
                    other429.add(r.statusCode() + " " + r.body());
                }
            }
            assertEquals(List.of(), other429, "only relayed answers and refusals");
            assertTrue(limited > 0, "the flood is held to the task's allowance (" + ok + " relayed, " + dropped + " dropped)");
            assertTrue(ok <= 60 + 20 * 10, "no more than the burst and the rate reached the provider: " + ok);
            assertEquals(before + ok, MockUpstreams.COUNT.get("anthropic").get(), "a refused request never reaches the provider");
            HttpResponse<String> r = http.send(request(other, "/v1/other"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "another task keeps its whole allowance: " + r.body());
        }
    }

    /**
     * Past its allowance a task is refused before anything else of its request is looked at: a request whose
     * transfer-encoding the broker would refuse as a bad request is answered 429 all the same (on the old path it was
     * parsed first and answered 400). The answer is held about a second, the keep-alive connection's next request
     * with it (a keep-alive connection costs the broker about one refusal a second); past the task's bound of held
     * refusals the rest are parked: no answer at all until the broker closes them after its park time (3 s in tests),
     * so a flood that opens a new connection per request cannot make the broker accept, parse and answer as fast as it
     * reconnects (before, they were answered 429 at once with their connection closed: the client reconnected at
     * once). Another task is relayed meanwhile. Every refusal is audited: the first of a window in full, the rest in
     * one folded line with their count (none lost).
     */
    @Test
    void aTaskPastItsAllowanceIsRefusedFirstThrottledAtTheSocketAndAuditedFolded() throws Exception {
        try (VaultApi api = new VaultApi()) {
            api.putKey("anthropic", VaultApi.realKey("anthropic"));
            String taskId = TaskIds.of("limit-early");
            String token = api.mint(taskId, "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY");
            String other = api.mint(TaskIds.of("limit-early-other"), "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY");
            List<Raw> streams = new ArrayList<>();
            try {
                // The task's 32 requests in flight (slow streams): every further request is past its allowance.
                for (int i = 0; i < 32; i++) {
                    Raw c = new Raw();
                    streams.add(c);
                    String head = c.head("GET /v1/sse?n=1&gap=20000 HTTP/1.1\r\nHost: x\r\nx-api-key: " + token + "\r\n\r\n");
                    assertTrue(head.startsWith("HTTP/1.1 200"), head);
                }
                int refused = 0;
                try (Raw c = new Raw()) {
                    for (int i = 0; i < 2; i++) {
                        long t = System.nanoTime();
                        String answer = c.exchange("POST /v1/early HTTP/1.1\r\nHost: x\r\nx-api-key: " + token
                                + "\r\ntransfer-encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
                        long ms = (System.nanoTime() - t) / 1_000_000;
                        refused++;
                        assertTrue(answer.startsWith("HTTP/1.1 429"), "refused for its allowance before its framing is even checked: "
                                + answer);
                        assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("retry-after: 1"), answer);
                        assertTrue(answer.contains("\"error\":\"rate_limited\""), answer);
                        assertTrue(ms >= 900, "refusal " + i + " on the same keep-alive connection is held about its Retry-After ("
                                + ms + " ms)");
                    }
                }
                // Many connections at once: at most 64 held (429 after a second), the rest parked: unanswered until the
                // broker closes them after its park time (3 s here).
                java.util.concurrent.ExecutorService pool = Executors.newFixedThreadPool(100);
                List<CompletableFuture<String>> burst = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    burst.add(CompletableFuture.supplyAsync(() -> {
                        long t = System.nanoTime();
                        String a;
                        try (Raw c = new Raw()) {
                            a = c.exchange("GET /v1/burst HTTP/1.1\r\nHost: x\r\nx-api-key: " + token + "\r\n\r\n");
                        } catch (java.io.EOFException e) {
                            a = "closed unanswered";
                        } catch (Exception e) {
                            a = "failed: " + e;
                        }
                        return ((System.nanoTime() - t) / 1_000_000) + " ms: " + a;
                    }, pool));
                }
                // Meanwhile another task is relayed as always.
                HttpResponse<String> otherAnswer = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                        .send(request(other, "/v1/other"), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, otherAnswer.statusCode(), "another task is relayed while the flood is parked: " + otherAnswer.body());
                int held = 0;
                int parked = 0;
                for (CompletableFuture<String> f : burst) {
                    String a = f.get(60, TimeUnit.SECONDS);
                    long ms = Long.parseLong(a.substring(0, a.indexOf(' ')));
                    String answer = a.substring(a.indexOf(": ") + 2);
                    // None is answered at once: answering at once is what let a flood reconnect as fast as it liked.
                    assertTrue(ms >= 900, "no connection of the burst is answered or closed at once: " + a);
                    refused++;
                    if (answer.startsWith("HTTP/1.1 429")) {
                        held++;
                    } else {
                        assertEquals("closed unanswered", answer, a);
                        assertTrue(ms >= 2500, "a parked connection stays open (unanswered) for the park time: " + a);
                        parked++;
                    }
                }
                pool.shutdown();
                assertTrue(held <= 64, "at most 64 refusals of a task are held: " + held);
                assertTrue(parked >= 1, "past 64 held refusals the rest are parked and closed unanswered: " + parked);
                // Every refusal is in the audit: full lines plus the folded counts, once the windows (3 s here) ended.
                Path file = MockUpstreams.dataDir.resolve("vault/audit.jsonl");
                long audited = 0;
                long full = 0;
                for (int i = 0; i < 100 && audited < refused; i++) {
                    Thread.sleep(100);
                    audited = 0;
                    full = 0;
                    for (String line : Files.readAllLines(file)) {
                        JsonObject j = new JsonObject(line);
                        if (!j.getString("task").equals(taskId) || j.getInteger("status") != 429) {
                            continue;
                        }
                        if (j.getString("outcome").equals("rate_limited")) {
                            full++;
                            audited++;
                        } else {
                            assertEquals("rate_limited_folded", j.getString("outcome"), line);
                            audited += j.getLong("count");
                        }
                    }
                }
                assertEquals(refused, audited, "every refusal is accounted for in the audit");
                assertTrue(full <= 3, "a flood is folded, not one line per refusal: " + full + " full lines for " + refused);
            } finally {
                for (Raw c : streams) {
                    c.close();
                }
            }
        }
    }

    /**
     * A streamed answer gives its in-flight slot back when it ends: before, only a whole (small) answer did, so a
     * task's 32nd streamed provider call (agents stream every call) shut it out of the broker for good (429 "32
     * requests in flight").
     */
    @Test
    void streamedAnswersGiveTheirInFlightSlotBack() throws Exception {
        try (VaultApi api = new VaultApi()) {
            api.putKey("anthropic", VaultApi.realKey("anthropic"));
            String token = api.mint(TaskIds.of("limit-streams"), "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
            for (int i = 0; i < 40; i++) {
                HttpResponse<String> r = http.send(request(token, "/v1/sse?n=1&gap=1"), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), "streamed call " + i + ": " + r.body());
                assertTrue(r.body().contains("data: token-1"), r.body());
            }
        }
    }

    /** One raw HTTP/1.1 connection to the broker: a request written as is, its answer read whole (head and body). */
    static final class Raw implements AutoCloseable {
        final java.net.Socket socket = new java.net.Socket("127.0.0.1", BrokerTest.port());
        final java.io.InputStream in;

        Raw() throws java.io.IOException {
            socket.setSoTimeout(20_000);
            in = new java.io.BufferedInputStream(socket.getInputStream());
        }

        /** Sends the request and reads its answer's head only (a stream's body is left unread). */
        String head(String request) throws java.io.IOException {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return readHead();
        }

        private String readHead() throws java.io.IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new java.io.EOFException("closed after: " + head);
                }
                head.append((char) b);
            }
            return head.toString();
        }

        String exchange(String request) throws java.io.IOException {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            String head = readHead();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            byte[] body = m.find() ? in.readNBytes(Integer.parseInt(m.group(1))) : new byte[0];
            return head + new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws java.io.IOException {
            socket.close();
        }
    }

    static HttpRequest request(String token, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + BrokerTest.port() + path)).header("x-api-key", token)
                .timeout(Duration.ofSeconds(30)).build();
    }
}
