package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.MintTaskTokenRequest;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivatePodman;
import java.io.IOException;
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
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Services killed with SIGKILL in the middle of their work, as real processes (only the pid their pid file names,
 * checked against its command line): runtime-service at measured points of a launch, the vault during a proxied
 * streaming response, the gate during a push. After each: nothing runs without its firewall, nothing the failed
 * operation took outlives it once the service is back, no file is half-written, and the same work succeeds again.
 */
class FaultsEndToEndTest {
    static final String REAL_KEY = "sk-ant-faults-REAL-0123456789";
    static Terok terok;
    static PrivatePodman podman;
    static FakeInternet internet;
    static HttpServer provider;
    static final List<String> providerSaw = new CopyOnWriteArrayList<>();
    static Path upstream;

    @BeforeAll
    static void up() throws Exception {
        Cmd.require(List.of("nft", "nsenter", "ip", "dnsmasq", "busybox", "podman", "git", "curl"));
        terok = new Terok(Terok.freshHome("faults", null), null);
        internet = FakeInternet.spec("tfl").addresses(2, 2).start();
        podman = new PrivatePodman(terok.home, terok.home.resolve("data/shield/hooks"));
        terok.env.put("TEROK_PODMAN_SOCKET", podman.socket.toString());
        terok.env.put("TEROK_SHIELD_UPSTREAM_DNS", internet.resolver());
        terok.env.put("TEROK_SHIELD_HOOKS_REGISTRATION", terok.home.resolve("containers.conf.d/terok-shield.conf").toString());
        // A provider that streams: 40 server-sent events, 50 ms apart (2 s), so a kill lands in the middle.
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/", ex -> {
            providerSaw.add(String.valueOf(ex.getRequestHeaders().getFirst("x-api-key")));
            try (InputStream in = ex.getRequestBody()) {
                in.readAllBytes();
            }
            ex.getResponseHeaders().add("content-type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 40; i++) {
                    out.write(("data: {\"n\":" + i + "}\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Thread.sleep(50);
                }
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            } catch (IOException | InterruptedException e) {
                // the client went away
            }
        });
        provider.start();
        Files.createDirectories(terok.home.resolve("config"));
        Files.writeString(terok.home.resolve("config/config.yaml"), String.join("\n",
                "terok:",
                "  vault:",
                "    kernel-keyring: false",
                "    passphrase-command: printf %s e2e-faults-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: http://127.0.0.1:" + provider.getAddress().getPort(),
                ""));
        terok.run("services", "up").ok();
        terok.runWithInput(REAL_KEY, "vault", "add", "anthropic").ok();
        try (Grpc g = new Grpc("shield")) {
            assertTrue(ShieldServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .installHooks(HooksRequest.getDefaultInstance()).getInstalled());
        }
        upstream = terok.home.resolve("upstream.git");
        Path seed = terok.home.resolve("seed");
        terok.git(terok.home, "init", "-q", "--bare", "-b", "main", upstream.toString());
        terok.git(terok.home, "clone", "-q", upstream.toString(), seed.toString());
        terok.git(seed, "commit", "-q", "--allow-empty", "-m", "initial");
        terok.git(seed, "push", "-q", "origin", "HEAD:main");
        try (Grpc g = new Grpc("gate")) {
            GateServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(60, TimeUnit.SECONDS).createProject(CreateProjectRequest
                    .newBuilder().setName("e2e-faults").setUpstreamUrl("file://" + upstream).setSync(true).build());
        }
    }

    @AfterAll
    static void down() {
        if (podman != null) {
            Cmd.run("sh", "-c", "podman --url=unix://" + podman.socket + " ps -aq --filter label=io.terok.task"
                    + " | xargs -r podman --url=unix://" + podman.socket + " rm -f -t 0");
            podman.close();
        }
        if (terok != null) {
            terok.discard();
        }
        if (provider != null) {
            provider.stop(0);
        }
        if (internet != null) {
            internet.close();
        }
    }

    static final class Grpc implements AutoCloseable {
        final ManagedChannel ch;

        Grpc(String service) {
            ch = UnixChannels.open(terok.runtimeDir().resolve(service + ".sock"));
        }

        @Override
        public void close() {
            ch.shutdownNow();
        }
    }

    static void kill9(String service) throws Exception {
        terok.kill9(service);
    }

    static Path records() {
        return terok.home.resolve("data/runtime/tasks");
    }

    static List<String> recordIds() throws IOException {
        if (!Files.isDirectory(records())) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(records())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - 5)).toList();
        }
    }

    static String gateTokens() throws IOException {
        Path f = terok.home.resolve("data/gate/tokens.json");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    static List<String> containersOf(String taskId) {
        return Cmd.run("podman", "--url=unix://" + podman.socket, "ps", "-a", "--filter", "label=io.terok.task=" + taskId,
                "--format", "{{.ID}} {{.State}}").out().lines().filter(l -> !l.isBlank()).toList();
    }

    static boolean waitFor(Supplier<Boolean> condition, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (condition.get()) {
                return true;
            }
            Thread.sleep(2);
        }
        return false;
    }

    /** Every running container of the task has shield's table loaded in its network namespace. */
    static void assertNoContainerRunsUnfiltered(String taskId, String when) {
        for (String line : containersOf(taskId)) {
            String[] f = line.split(" ");
            if (!f[1].equals("running")) {
                continue;
            }
            String pid = Cmd.run("podman", "--url=unix://" + podman.socket, "inspect", "--format", "{{.State.Pid}}", f[0]).out().strip();
            String tables = Cmd.run("nsenter", "-t", pid, "-n", "nft", "list", "tables").out();
            assertTrue(tables.contains("terok_shield"), when + ": container " + f[0] + " runs without its firewall: " + tables);
        }
    }

    /**
     * runtime-service killed at four measured points of a filtered launch with a phantom token and a gate token: its
     * record written, the gate's token minted, shield's state prepared, the container created. While it is down no
     * container of the launch runs without its firewall; once it is back, it undoes the launch: no record, no
     * container, no phantom token, no gate token, no shield state. Then the same launch succeeds.
     */
    @Test
    void runtimeKilledDuringALaunchLeavesNothingOnceItIsBack() throws Exception {
        record Point(String name, java.util.function.Function<String, Boolean> reached) {
        }
        List<Point> points = List.of(
                new Point("its record written", id -> true),
                new Point("its gate token minted", id -> uncheck(() -> gateTokens().contains(id))),
                new Point("its shield state prepared", id -> Files.isDirectory(terok.home.resolve("state/shield/" + id))),
                new Point("its container created", id -> !containersOf(id).isEmpty()));
        for (Point point : points) {
            List<String> before = recordIds();
            Process launch = new ProcessBuilder(terok.commandLine("run", "-d", "--name", "e2e-fault-launch", "--project",
                    "e2e-faults", "--provider", "anthropic", "localhost/terok-agent:latest", "sleep", "600"))
                    .redirectErrorStream(true).redirectOutput(terok.home.resolve("launch.log").toFile()).start();
            String[] id = new String[1];
            assertTrue(waitFor(() -> {
                Optional<String> fresh = uncheck(FaultsEndToEndTest::recordIds).stream().filter(r -> !before.contains(r)).findFirst();
                fresh.ifPresent(f -> id[0] = f);
                return fresh.isPresent() && point.reached().apply(fresh.get());
            }, Duration.ofSeconds(60)), point.name() + " was not reached");
            kill9("runtime");
            assertTrue(launch.waitFor(60, TimeUnit.SECONDS));
            assertNotEquals(0, launch.exitValue(), point.name() + ": the launch is reported failed: "
                    + Files.readString(terok.home.resolve("launch.log")));
            assertNoContainerRunsUnfiltered(id[0], "killed after " + point.name());

            terok.run("services", "up").ok();
            assertTrue(waitFor(() -> uncheck(() -> !recordIds().contains(id[0]) && containersOf(id[0]).isEmpty()
                    && !gateTokens().contains(id[0]) && !Files.exists(terok.home.resolve("state/shield/" + id[0]))),
                    Duration.ofSeconds(60)), "killed after " + point.name() + ": the launch was not undone: records "
                    + recordIds() + ", containers " + containersOf(id[0]));
            try (Grpc g = new Grpc("vault")) {
                assertEquals(0, VaultServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .listTokens(ListTokensRequest.newBuilder().setTaskId(id[0]).build()).getTokensCount(),
                        "killed after " + point.name() + ": no phantom token is left");
            }
        }
        terok.run("run", "-d", "--name", "e2e-fault-launch", "--project", "e2e-faults", "--provider", "anthropic",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        terok.run("rm", "-f", "e2e-fault-launch").ok();
    }

    /**
     * The vault killed while its broker relays a streaming response: the client sees the stream cut (not a completed
     * one), and once the vault is back the same phantom token streams a whole response again.
     */
    @Test
    void vaultKilledDuringAStreamCutsItAndTheSamePhantomWorksAfter() throws Exception {
        String task = HexFormat.of().formatHex(java.security.SecureRandom.getSeed(16));
        String phantom;
        try (Grpc g = new Grpc("vault")) {
            phantom = VaultServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS).mintTaskTokens(
                    MintTaskTokensRequest.newBuilder().setTaskId(task).addProviders("anthropic").setHostAddress("127.0.0.1")
                            .build()).getEnvOrThrow("ANTHROPIC_API_KEY");
        }
        URI uri = URI.create("http://127.0.0.1:" + terok.env.get("TEROK_VAULT_BROKER_PORT") + "/v1/messages");
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(uri).header("x-api-key", phantom).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        StringBuilder got = new StringBuilder();
        boolean cut;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[256];
            int n = in.read(buf);
            got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            kill9("vault");
            cut = false;
            try {
                while ((n = in.read(buf)) >= 0) {
                    got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                cut = true;
            }
        }
        assertTrue(cut || !got.toString().contains("[DONE]"), "the stream ends early, never as a complete answer: " + got);
        assertFalse(got.toString().contains(REAL_KEY), "the real key never reaches the client");

        terok.run("services", "up").ok();
        providerSaw.clear();
        HttpResponse<String> again = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, again.statusCode(), again.body());
        assertTrue(again.body().contains("data: [DONE]"), "a whole stream with the same phantom token: " + again.body());
        assertEquals(List.of(REAL_KEY), providerSaw);
        try (Grpc g = new Grpc("vault")) {
            VaultServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .revokeTaskTokens(io.terok.api.v1.RevokeTaskTokensRequest.newBuilder().setTaskId(task).build());
        }
    }

    /**
     * The gate killed while a push of a 30 MB commit is under way: the branch in the gate is either absent (the push
     * did not land) or the pushed commit, never anything else; the repository passes `git fsck`; once the gate is back
     * the same push lands.
     */
    @Test
    void gateKilledDuringAPushLeavesTheRefsWholeAndTheNextPushLands() throws Exception {
        String task = HexFormat.of().formatHex(java.security.SecureRandom.getSeed(16));
        MintTaskTokenResponse access;
        try (Grpc g = new Grpc("gate")) {
            access = GateServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS).mintTaskToken(
                    MintTaskTokenRequest.newBuilder().setTaskId(task).setProject("e2e-faults").setHostAddress("127.0.0.1").build());
        }
        Path work = terok.home.resolve("push-work");
        Map<String, String> gitEnv = new java.util.LinkedHashMap<>(access.getEnvMap());
        gitEnv.put("GIT_CONFIG_NOSYSTEM", "1");
        gitEnv.put("HOME", terok.home.toString());
        Terok.exec(List.of("git", "clone", "-q", access.getCloneUrl(), work.toString()), gitEnv, 60).ok();
        byte[] noise = new byte[30 << 20];
        new java.util.Random(7).nextBytes(noise);
        Files.write(work.resolve("big.bin"), noise);
        terok.git(work, "add", "big.bin");
        terok.git(work, "commit", "-q", "-m", "big");
        String commit = terok.git(work, "rev-parse", "HEAD");

        ProcessBuilder push = new ProcessBuilder("git", "-C", work.toString(), "push", "-q", "origin", "HEAD:refs/heads/big")
                .redirectErrorStream(true).redirectOutput(terok.home.resolve("push.log").toFile());
        push.environment().putAll(gitEnv);
        Process p = push.start();
        Thread.sleep(400); // git is packing or sending the 30 MB
        kill9("gate");
        p.waitFor(60, TimeUnit.SECONDS);
        Path mirror = terok.home.resolve("data/gate/e2e-faults.git");
        String ref = Cmd.run("git", "--git-dir", mirror.toString(), "for-each-ref", "--format=%(objectname)", "refs/heads/big").out().strip();
        assertTrue(ref.isEmpty() || ref.equals(commit), "the branch is absent or the pushed commit, nothing else: " + ref);
        Cmd.Result fsck = Cmd.run("git", "--git-dir", mirror.toString(), "fsck", "--no-dangling");
        assertEquals(0, fsck.code(), "the gate's repository is whole: " + fsck.out());

        terok.run("services", "up").ok();
        Terok.exec(List.of("git", "-C", work.toString(), "push", "-q", "origin", "HEAD:refs/heads/big"), gitEnv, 120).ok();
        assertEquals(commit, Cmd.run("git", "--git-dir", mirror.toString(), "rev-parse", "refs/heads/big").out().strip());
        try (Grpc g = new Grpc("gate")) {
            GateServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .revokeTaskToken(io.terok.api.v1.RevokeTaskTokenRequest.newBuilder().setTaskId(task).build());
        }
    }

    interface Io<T> {
        T get() throws IOException;
    }

    static <T> T uncheck(Io<T> f) {
        try {
            return f.get();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
