package io.terok.bench;

import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.PutCredentialRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.api.v1.VaultStatusRequest;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.LoopbackPort;
import io.terok.testsupport.RandomHex;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The token broker against a direct call to the same mock upstream on 127.0.0.1, in the same run: sequential
 * latency, throughput with 16 concurrent clients, and time to the first byte of a streamed (SSE) response.
 * Starts its own vault-service jar in a private directory. Usage: VaultBrokerBenchmark REPO [REQUESTS]
 */
public final class VaultBrokerBenchmark {
    public static void main(String[] args) throws Exception {
        // The mock upstream must not sit on Nagle + delayed ACK (40 ms stalls) or it would measure TCP, not the broker.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        Path repo = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
        HttpServer mock = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        ExecutorService mockThreads = Executors.newFixedThreadPool(8);
        mock.setExecutor(mockThreads);
        byte[] small = "{\"id\":\"msg_01\",\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}".getBytes(StandardCharsets.UTF_8);
        mock.createContext("/v1/messages", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().add("content-type", "application/json");
            ex.sendResponseHeaders(200, small.length);
            ex.getResponseBody().write(small);
            ex.close();
        });
        mock.createContext("/v1/stream", ex -> {
            ex.getResponseHeaders().add("content-type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream o = ex.getResponseBody();
            o.write("data: first\n\n".getBytes(StandardCharsets.UTF_8));
            o.flush();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            o.write("data: second\n\n".getBytes(StandardCharsets.UTF_8));
            ex.close();
        });
        mock.start();
        int brokerPort = LoopbackPort.free();
        Path home = Files.createTempDirectory("terok-bench-vault");
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/config.yaml"), "terok:\n  vault:\n    broker-port: " + brokerPort
                + "\n    kernel-keyring: false\n    passphrase-command: printf %s bench-passphrase\n"
                // the relay's own cost, from one phantom token as fast as it goes: the per-task allowance would
                // answer most of it 429 (bench/run-load measures the allowance)
                + "    task-request-rate: 0\n    task-max-in-flight: 0\n"
                + "    providers:\n      anthropic:\n"
                + "        upstream: http://127.0.0.1:" + mock.getAddress().getPort() + "\n");
        Map<String, String> env = new HashMap<>();
        for (String d : List.of("runtime", "data", "state", "config")) {
            env.put("TEROK_" + d.toUpperCase() + "_DIR", home.resolve(d.equals("runtime") ? "run" : d).toString());
        }
        Path sock = home.resolve("run/vault.sock");
        Process vault = ServiceCommand.start(ServiceCommand.of(repo, "vault-service"), env, home.resolve("vault.log"), sock);
        ManagedChannel ch = null;
        ExecutorService clientThreads = Executors.newFixedThreadPool(16);
        try {
            ch = UnixChannels.open(sock);
            VaultServiceGrpc.VaultServiceBlockingStub stub = VaultServiceGrpc.newBlockingStub(ch);
            if (!stub.withDeadlineAfter(30, TimeUnit.SECONDS).status(VaultStatusRequest.getDefaultInstance()).getUnlocked()) {
                throw new IllegalStateException("vault did not unlock; see " + home.resolve("vault.log"));
            }
            stub.withDeadlineAfter(30, TimeUnit.SECONDS).putCredential(PutCredentialRequest.newBuilder().setProvider("anthropic")
                    .setKind(CredentialKind.CREDENTIAL_KIND_API_KEY).setApiKey("sk-bench-real").build());
            String token = stub.withDeadlineAfter(30, TimeUnit.SECONDS).mintTaskTokens(MintTaskTokensRequest.newBuilder()
                    .setTaskId(RandomHex.of(16)).addProviders("anthropic").build()).getEnvOrThrow("ANTHROPIC_API_KEY");
            String direct = "http://127.0.0.1:" + mock.getAddress().getPort();
            String broker = "http://127.0.0.1:" + brokerPort;
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(clientThreads).build();

            for (int i = 0; i < 2000; i++) {
                get(http, direct + "/v1/messages", "sk-bench-real");
                get(http, broker + "/v1/messages", token);
            }
            List<Double> d = new ArrayList<>();
            List<Double> b = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                d.add(get(http, direct + "/v1/messages", "sk-bench-real"));
                b.add(get(http, broker + "/v1/messages", token));
            }
            // Warm-up under the same concurrent load as the measurement, so C2 has compiled the hot paths of both.
            throughput(http, direct + "/v1/messages", "sk-bench-real", 3);
            throughput(http, broker + "/v1/messages", token, 3);
            double rd = throughput(http, direct + "/v1/messages", "sk-bench-real", SECONDS);
            double vaultCpu0 = ProcessCpu.ownMs(vault.pid());
            double rb = throughput(http, broker + "/v1/messages", token, SECONDS);
            double vaultCpuPerRequest = (ProcessCpu.ownMs(vault.pid()) - vaultCpu0) * 1e3 / (rb * SECONDS);
            List<Double> td = new ArrayList<>();
            List<Double> tb = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                td.add(ttfb(http, direct + "/v1/stream", "sk-bench-real"));
                tb.add(ttfb(http, broker + "/v1/stream", token));
            }
            Stats sd = new Stats(d);
            Stats sb = new Stats(b);
            System.out.println("| what | runs | median ms | p10 ms | p90 ms |");
            System.out.println("|---|---|---|---|---|");
            System.out.println(sd.row("direct `POST /v1/messages` (keep-alive)"));
            System.out.println(sb.row("through the broker"));
            System.out.println(new Stats(td).row("direct, first SSE byte"));
            System.out.println(new Stats(tb).row("through the broker, first SSE byte"));
            System.out.printf("%nadded latency at the median: %.3f ms (p90 %.3f ms)%n", sb.median() - sd.median(),
                    sb.percentile(90) - sd.percentile(90));
            System.out.printf("throughput, 16 concurrent clients, %d s each: direct %.0f req/s, broker %.0f req/s (%.0f%%)%n",
                    SECONDS, rd, rb, 100 * rb / rd);
            System.out.printf("vault CPU per proxied request: %.0f us%n", vaultCpuPerRequest);
        } finally {
            if (ch != null) {
                ch.shutdownNow();
            }
            Cmd.stop(vault);
            mock.stop(0);
            // Non-daemon pools: left running they keep the JVM (and the benchmark) alive after the results.
            mockThreads.shutdownNow();
            clientThreads.shutdownNow();
        }
    }

    private static double get(HttpClient http, String url, String key) throws Exception {
        long t = System.nanoTime();
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("x-api-key", key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\"}")).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return (System.nanoTime() - t) / 1e6;
    }

    private static final int SECONDS = 5;

    private static double throughput(HttpClient http, String url, String key, int seconds) throws Exception {
        AtomicLong count = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            Thread t = new Thread(() -> {
                try {
                    while (System.nanoTime() < end) {
                        get(http, url, key);
                        count.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return count.get() / (double) seconds;
    }

    private static double ttfb(HttpClient http, String url, String key) throws Exception {
        long t = System.nanoTime();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("x-api-key", key).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (in.read() < 0) {
                throw new IllegalStateException("empty stream");
            }
            double first = (System.nanoTime() - t) / 1e6;
            in.readAllBytes();
            return first;
        }
    }
}
