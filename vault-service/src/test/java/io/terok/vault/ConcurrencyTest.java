package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.RevokeTaskTokensRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** 200 parallel proxied requests while tokens are minted and revoked: no SQLITE_BUSY, no lost rows. */
@QuarkusTest
class ConcurrencyTest {
    @Test
    void parallelRequestsMintingAndRevocation() throws Exception {
        try (VaultApi api = new VaultApi()) {
            MockUpstreams.PROVIDERS.forEach(p -> api.putKey(p, VaultApi.realKey(p)));
            List<String> live = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                live.add(api.mint(TaskIds.of("conc-live-" + i), "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY"));
            }
            HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(16)).connectTimeout(Duration.ofSeconds(5)).build();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<CompletableFuture<?>> writes = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int worker = w;
                writes.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 15; i++) {
                        String task = TaskIds.of("conc-" + worker + "-" + i);
                        try {
                            api.mint(task, "anthropic", "openai");
                            if (i % 3 == 0) {
                                api.stub().revokeTaskTokens(RevokeTaskTokensRequest.newBuilder().setTaskId(task).build());
                            }
                        } catch (RuntimeException e) {
                            failures.add(task + ": " + e);
                        }
                    }
                }, pool));
            }
            List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                requests.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + BrokerTest.port() + "/v1/c" + i))
                        .header("x-api-key", live.get(i % live.size())).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            int ok = 0;
            for (CompletableFuture<HttpResponse<String>> r : requests) {
                HttpResponse<String> resp = r.get(120, TimeUnit.SECONDS);
                if (resp.statusCode() == 200 && resp.body().equals("ok")) {
                    ok++;
                } else {
                    failures.add(resp.statusCode() + " " + resp.body());
                }
            }
            pool.shutdown();
            assertTrue(failures.isEmpty(), "failures: " + failures);
            assertEquals(200, ok);
            int rows = 0;
            for (int w = 0; w < 8; w++) {
                for (int i = 0; i < 15; i++) {
                    rows += api.stub().listTokens(ListTokensRequest.newBuilder().setTaskId(TaskIds.of("conc-" + w + "-" + i)).build()).getTokensCount();
                }
            }
            assertEquals(8 * 10 * 2, rows, "every minted, unrevoked token is stored exactly once");
        }
    }
}
