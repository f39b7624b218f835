package io.terok.bench;

import io.grpc.ManagedChannel;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.MintTaskTokenRequest;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.common.grpc.UnixChannels;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
            int gatePort = freePort();
            Map<String, String> env = new HashMap<>();
            for (String d : List.of("RUNTIME", "DATA", "STATE", "CONFIG")) {
                env.put("TEROK_" + d + "_DIR", work.resolve("terok-" + d.toLowerCase()).toString());
            }
            env.put("TEROK_GATE_HTTP_PORT", Integer.toString(gatePort));
            ProcessBuilder pb = new ProcessBuilder("java", "-Xmx256m", "-XX:+UseSerialGC", "-jar",
                    repo.resolve("gate-service/target/quarkus-app/quarkus-run.jar").toString())
                    .redirectErrorStream(true).redirectOutput(work.resolve("gate.log").toFile());
            pb.environment().putAll(env);
            gate = pb.start();
            Path sock = work.resolve("terok-runtime/gate.sock");
            for (int i = 0; i < 200 && !Files.exists(sock); i++) {
                Thread.sleep(50);
            }
            ManagedChannel ch = UnixChannels.open(sock);
            GateServiceGrpc.GateServiceBlockingStub stub = GateServiceGrpc.newBlockingStub(ch);
            stub.withDeadlineAfter(300, TimeUnit.SECONDS).createProject(CreateProjectRequest.newBuilder().setName("bench")
                    .setUpstreamUrl("file://" + source).setSync(true).build());

            // The baseline: git http-backend as CGI behind lighttpd.
            int httpPort = freePort();
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

            List<Double> gateClone = new ArrayList<>();
            List<Double> backendClone = new ArrayList<>();
            List<Double> gatePush = new ArrayList<>();
            List<Double> backendPush = new ArrayList<>();
            for (int i = -1; i < runs; i++) {   // run -1 warms both up and is not counted
                MintTaskTokenResponse t = stub.withDeadlineAfter(30, TimeUnit.SECONDS).mintTaskToken(MintTaskTokenRequest
                        .newBuilder().setTaskId("bench-" + (i + 1)).setProject("bench").setHostAddress("127.0.0.1").build());
                double g = time(work, List.of("git", "clone", "-q", "--bare", t.getCloneUrl(), work.resolve("g" + i).toString()), t.getEnvMap());
                double b = time(work, List.of("git", "clone", "-q", "--bare", "http://127.0.0.1:" + httpPort + "/git/bench.git",
                        work.resolve("b" + i).toString()), Map.of());
                String p = "push" + (i + 1);
                stub.withDeadlineAfter(30, TimeUnit.SECONDS).createProject(CreateProjectRequest.newBuilder().setName(p).build());
                MintTaskTokenResponse pt = stub.withDeadlineAfter(30, TimeUnit.SECONDS).mintTaskToken(MintTaskTokenRequest
                        .newBuilder().setTaskId("bench-push-" + (i + 1)).setProject(p).setHostAddress("127.0.0.1").build());
                double gp = time(source, List.of("git", "push", "-q", pt.getCloneUrl(), "refs/heads/main:refs/heads/main"), pt.getEnvMap());
                sh(work, List.of("git", "init", "-q", "--bare", root.resolve(p + ".git").toString()), Map.of());
                double bp = time(source, List.of("git", "push", "-q", "http://127.0.0.1:" + httpPort + "/git/" + p + ".git",
                        "refs/heads/main:refs/heads/main"), Map.of());
                sh(work, List.of("rm", "-rf", work.resolve("g" + i).toString(), work.resolve("b" + i).toString()), Map.of());
                if (i >= 0) {
                    gateClone.add(g);
                    backendClone.add(b);
                    gatePush.add(gp);
                    backendPush.add(bp);
                }
            }
            ch.shutdownNow();
            System.out.println("Repository: 5,000 commits, " + size + " (bare), " + runs + " runs after one warm-up; ms.\n");
            System.out.println("| operation | runs | median | p10 | p90 |");
            System.out.println("|---|---|---|---|---|");
            System.out.println(new Stats(gateClone).row("clone through the gate (JGit, token auth)"));
            System.out.println(new Stats(backendClone).row("clone through git http-backend + lighttpd"));
            System.out.println(new Stats(gatePush).row("push (all history) to the gate"));
            System.out.println(new Stats(backendPush).row("push (all history) to git http-backend + lighttpd"));
        } finally {
            if (lighttpd != null) {
                lighttpd.destroy();
                lighttpd.waitFor(10, TimeUnit.SECONDS);
            }
            if (gate != null) {
                gate.destroy();
                gate.waitFor(10, TimeUnit.SECONDS);
            }
            UnixChannels.shutdown();
            new ProcessBuilder("rm", "-rf", work.toString()).start().waitFor();
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

    static double time(Path dir, List<String> cmd, Map<String, String> env) throws Exception {
        long t0 = System.nanoTime();
        sh(dir, cmd, env);
        return (System.nanoTime() - t0) / 1e6;
    }

    static String sh(Path dir, List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
        pb.environment().put("GIT_TERMINAL_PROMPT", "0");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
