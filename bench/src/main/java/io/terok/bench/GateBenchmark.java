package io.terok.bench;

import io.grpc.ManagedChannel;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.MintTaskTokenRequest;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.common.HostProcess;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.LoopbackPort;
import io.terok.testsupport.RandomHex;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Clone and push of a generated repository (about 50 MB, 5,000 commits) through the gate (JGit in the
 * gate-service jar, token-authenticated) and through `git http-backend` behind lighttpd, both on loopback,
 * in the same run. Prints a Markdown table of medians in milliseconds.
 */
public final class GateBenchmark {
    /** Runs before the measured ones: the first of them is reported separately as the cold case. */
    static final int WARM_UP = 3;
    private static final Map<String, Long> first = new HashMap<>();

    private GateBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]);
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path work = Files.createTempDirectory("terok-bench-gate");
        Process gate = null;
        Process lighttpd = null;
        try {
            Path source = work.resolve("source.git");
            generate(source, 5000, 10 * 1024);
            String size = sh(work, List.of("du", "-sh", source.toString()), Map.of()).split("\\s")[0];

            // The gate, as `terok services up` runs it.
            int gatePort = LoopbackPort.free();
            Map<String, String> env = new HashMap<>();
            for (String d : List.of("RUNTIME", "DATA", "STATE", "CONFIG")) {
                env.put("TEROK_" + d + "_DIR", work.resolve("terok-" + d.toLowerCase()).toString());
            }
            env.put("TEROK_GATE_HTTP_PORT", Integer.toString(gatePort));
            Path sock = work.resolve("terok-runtime/gate.sock");
            gate = ServiceCommand.start(ServiceCommand.of(repo, "gate-service"), env, work.resolve("gate.log"), sock);
            ManagedChannel ch = UnixChannels.open(sock);
            GateServiceGrpc.GateServiceBlockingStub stub = GateServiceGrpc.newBlockingStub(ch);
            stub.withDeadlineAfter(300, TimeUnit.SECONDS).createProject(CreateProjectRequest.newBuilder().setName("bench")
                    .setUpstreamUrl("file://" + source).setSync(true).build());

            // The baseline: git http-backend as CGI behind lighttpd.
            int httpPort = LoopbackPort.free();
            Path root = work.resolve("backend");
            Files.createDirectories(root);
            sh(work, List.of("git", "clone", "-q", "--bare", source.toString(), root.resolve("bench.git").toString()), Map.of());
            Path conf = work.resolve("lighttpd.conf");
            Files.writeString(conf, String.join("\n",
                    "server.modules = (\"mod_alias\", \"mod_cgi\", \"mod_setenv\")",
                    "server.document-root = \"" + root + "\"",
                    "server.bind = \"127.0.0.1\"",
                    "server.port = " + httpPort,
                    "server.max-request-size = 2097151",
                    "server.errorlog = \"" + work.resolve("lighttpd.log") + "\"",
                    "alias.url = ( \"/git/\" => \"/usr/lib/git-core/git-http-backend/\" )",
                    "$HTTP[\"url\"] =~ \"^/git/\" {",
                    "  cgi.assign = ( \"\" => \"\" )",
                    "  setenv.add-environment = ( \"GIT_PROJECT_ROOT\" => \"" + root + "\", \"GIT_HTTP_EXPORT_ALL\" => \"1\","
                            + " \"REMOTE_USER\" => \"bench\" )",
                    "}", ""));
            lighttpd = new ProcessBuilder("lighttpd", "-D", "-f", conf.toString()).redirectErrorStream(true)
                    .redirectOutput(work.resolve("lighttpd.out").toFile()).start();
            Thread.sleep(500);

            // Server CPU per operation: the gate JVM's own time; for the baseline lighttpd's time plus that of its
            // reaped CGI children (git http-backend, upload-pack/receive-pack, pack-objects/index-pack).
            long gatePid = gate.pid();
            long httpPid = lighttpd.pid();
            Map<String, List<Double>> wall = new HashMap<>();
            Map<String, List<Double>> cpu = new HashMap<>();
            // The gate is a long-running service: its JIT needs a few operations to compile the paths (git
            // http-backend starts fresh processes and has nothing to warm). The first run is reported on its own.
            for (int i = -WARM_UP; i < runs; i++) {
                MintTaskTokenResponse t = stub.withDeadlineAfter(30, TimeUnit.SECONDS).mintTaskToken(MintTaskTokenRequest
                        .newBuilder().setTaskId(RandomHex.of(16)).setProject("bench").setHostAddress("127.0.0.1").build());
                String gdir = work.resolve("g" + (i + WARM_UP)).toString();
                measure(i, "gate clone", gatePid, wall, cpu, () -> sh(work,
                        List.of("git", "clone", "-q", "--bare", t.getCloneUrl(), gdir), t.getEnvMap()));
                String bdir = work.resolve("b" + (i + WARM_UP)).toString();
                measure(i, "backend clone", httpPid, wall, cpu, () -> sh(work, List.of("git", "clone", "-q", "--bare",
                        "http://127.0.0.1:" + httpPort + "/git/bench.git", bdir), Map.of()));
                String p = "push" + (i + WARM_UP);
                stub.withDeadlineAfter(30, TimeUnit.SECONDS).createProject(CreateProjectRequest.newBuilder().setName(p).build());
                MintTaskTokenResponse pt = stub.withDeadlineAfter(30, TimeUnit.SECONDS).mintTaskToken(MintTaskTokenRequest
                        .newBuilder().setTaskId(RandomHex.of(16)).setProject(p).setHostAddress("127.0.0.1").build());
                measure(i, "gate push", gatePid, wall, cpu, () -> sh(source,
                        List.of("git", "push", "-q", pt.getCloneUrl(), "refs/heads/main:refs/heads/main"), pt.getEnvMap()));
                sh(work, List.of("git", "init", "-q", "--bare", root.resolve(p + ".git").toString()), Map.of());
                measure(i, "backend push", httpPid, wall, cpu, () -> sh(source, List.of("git", "push", "-q",
                        "http://127.0.0.1:" + httpPort + "/git/" + p + ".git", "refs/heads/main:refs/heads/main"), Map.of()));
                sh(work, List.of("rm", "-rf", gdir, bdir), Map.of());
            }
            ch.shutdownNow();
            System.out.println("Repository: 5,000 commits, " + size + " (bare), " + runs + " runs after " + WARM_UP
                    + " warm-up runs; ms. Server CPU includes work the operation left behind (the gate's background"
                    + " repack after a push into an empty repository).\n");
            System.out.println("| operation | runs | median | p10 | p90 | server CPU (median) |");
            System.out.println("|---|---|---|---|---|---|");
            row(wall, cpu, "gate clone", "clone through the gate (JGit, token auth)");
            row(wall, cpu, "backend clone", "clone through git http-backend + lighttpd");
            row(wall, cpu, "gate push", "push (all history) to the gate");
            row(wall, cpu, "backend push", "push (all history) to git http-backend + lighttpd");
            System.out.println("\nFirst run after the gate started (JIT cold), ms: clone " + first.get("gate clone") + " (git http-backend "
                    + first.get("backend clone") + "), push " + first.get("gate push") + " (git http-backend " + first.get("backend push") + ").");
        } finally {
            Cmd.stop(lighttpd);
            Cmd.stop(gate);
            UnixChannels.shutdown();
            Cmd.run("rm", "-rf", work.toString());
        }
    }

    /** A bare repository with {@code commits} commits on main, each adding {@code blobBytes} of incompressible data. */
    static void generate(Path bare, int commits, int blobBytes) throws Exception {
        sh(bare.getParent(), List.of("git", "init", "-q", "--bare", "-b", "main", bare.toString()), Map.of());
        Process p = new ProcessBuilder("git", "-C", bare.toString(), "fast-import", "--quiet").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Random rnd = new Random(7);
        byte[] data = new byte[blobBytes];
        try (OutputStream out = new java.io.BufferedOutputStream(p.getOutputStream(), 1 << 20)) {
            for (int i = 0; i < commits; i++) {
                rnd.nextBytes(data);
                String msg = "commit " + i;
                out.write(("commit refs/heads/main\ncommitter Bench <bench@example.invalid> " + (1700000000 + i) + " +0000\n"
                        + "data " + msg.length() + "\n" + msg + "\n").getBytes(StandardCharsets.UTF_8));
                out.write(("M 644 inline dir" + (i % 50) + "/file" + (i % 500) + ".bin\ndata " + data.length + "\n").getBytes(StandardCharsets.UTF_8));
                out.write(data);
                out.write('\n');
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("git fast-import failed");
        }
        sh(bare, List.of("git", "gc", "-q"), Map.of());
    }

    interface Operation {
        void run() throws Exception;
    }

    /**
     * Runs one operation; measured runs (from 0) record its wall time and the server's CPU time, the first warm-up
     * run its wall time as the cold case.
     */
    static void measure(int run, String name, long serverPid, Map<String, List<Double>> wall, Map<String, List<Double>> cpu,
            Operation op) throws Exception {
        double cpu0 = ProcessCpu.withChildrenMs(serverPid);
        long t0 = System.nanoTime();
        op.run();
        double ms = (System.nanoTime() - t0) / 1e6;
        // Work the operation left behind (the gate's background repack after a push, lighttpd reaping its CGI
        // children) counts towards it, and must not slow the next measurement: wait until the server is idle.
        waitIdle(serverPid);
        if (run == -WARM_UP) {
            first.put(name, Math.round(ms));
        }
        if (run >= 0) {
            wall.computeIfAbsent(name, k -> new ArrayList<>()).add(ms);
            cpu.computeIfAbsent(name, k -> new ArrayList<>()).add(ProcessCpu.withChildrenMs(serverPid) - cpu0);
        }
    }

    static void waitIdle(long pid) throws Exception {
        double last = ProcessCpu.withChildrenMs(pid);
        for (int i = 0; i < 300; i++) {
            Thread.sleep(200);
            double now = ProcessCpu.withChildrenMs(pid);
            if (now - last < 20) {
                return;
            }
            last = now;
        }
        throw new IllegalStateException("process " + pid + " stayed busy for a minute");
    }

    static void row(Map<String, List<Double>> wall, Map<String, List<Double>> cpu, String name, String label) {
        String r = new Stats(wall.get(name)).row(label);
        System.out.println(r + String.format(" %.0f |", new Stats(cpu.get(name)).median()));
    }

    /** Runs git (or du, rm) in {@code dir} without system config or prompts; fails unless it exits 0; its stdout. */
    static String sh(Path dir, List<String> cmd, Map<String, String> env) {
        return Cmd.ok(HostProcess.of(cmd).directory(dir).env("GIT_CONFIG_NOSYSTEM", "1").env("GIT_TERMINAL_PROMPT", "0")
                .env(env).timeout(Duration.ofMinutes(10)));
    }

}
