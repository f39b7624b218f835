package io.terok.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** How the benchmarks start a service jar: as `terok services up` does, so the numbers are the users' numbers. */
final class ServiceCommand {
    private ServiceCommand() {
    }

    /**
     * {@code java} with the JVM options `terok services up` gives every service, plus any from TEROK_BENCH_JVM_OPTS
     * (a JFR recording, say), running {@code <module>/target/quarkus-app/quarkus-run.jar} of the checkout.
     */
    static List<String> of(Path repo, String module) {
        List<String> argv = new ArrayList<>(List.of("java", "-Xmx256m", "-Xms16m", "-XX:+UseSerialGC"));
        String extra = System.getenv("TEROK_BENCH_JVM_OPTS");
        if (extra != null && !extra.isBlank()) {
            argv.addAll(List.of(extra.trim().split("\\s+")));
        }
        argv.addAll(List.of("-jar", repo.resolve(module + "/target/quarkus-app/quarkus-run.jar").toString()));
        return argv;
    }

    /**
     * Starts a service with {@code env} added to this environment, its output to {@code log}, and waits up to 30 s
     * for its gRPC {@code socket} to appear (what it serves is the caller's to check: a stopped service leaves the
     * caller's first call failing with the log to read).
     */
    static Process start(List<String> argv, Map<String, String> env, Path log, Path socket)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        for (int i = 0; i < 300 && !Files.exists(socket) && p.isAlive(); i++) {
            Thread.sleep(100);
        }
        return p;
    }
}
