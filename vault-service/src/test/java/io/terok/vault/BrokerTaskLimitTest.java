package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
            List<String> other429 = new ArrayList<>();
            for (CompletableFuture<HttpResponse<String>> f : flood) {
                HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
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
            assertTrue(limited > 0, "the flood is held to the task's allowance (" + ok + " relayed)");
            assertTrue(ok <= 60 + 20 * 10, "no more than the burst and the rate reached the provider: " + ok);
            assertEquals(before + ok, MockUpstreams.COUNT.get("anthropic").get(), "a refused request never reaches the provider");
            HttpResponse<String> r = http.send(request(other, "/v1/other"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "another task keeps its whole allowance: " + r.body());
        }
    }

    static HttpRequest request(String token, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + BrokerTest.port() + path)).header("x-api-key", token)
                .timeout(Duration.ofSeconds(30)).build();
    }
}
