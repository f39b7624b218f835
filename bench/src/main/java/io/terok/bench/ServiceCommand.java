package io.terok.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** How the benchmarks start a service jar: as `terok services up` does, so the numbers are the users' numbers. */
final class ServiceCommand {
    private ServiceCommand() {
    }

    /**
     * {@code java} with the JVM options `terok services up` gives every service, plus any from TEROK_BENCH_JVM_OPTS
     * (a JFR recording, say), running {@code <module>/target/quarkus-app/quarkus-run.jar} of the checkout.
     */
    static List<String> of(Path repo, String module) {
        List<String> argv = new ArrayList<>(List.of("java", "-Xmx256m", "-XX:+UseSerialGC"));
        String extra = System.getenv("TEROK_BENCH_JVM_OPTS");
        if (extra != null && !extra.isBlank()) {
            argv.addAll(List.of(extra.trim().split("\\s+")));
        }
        argv.addAll(List.of("-jar", repo.resolve(module + "/target/quarkus-app/quarkus-run.jar").toString()));
        return argv;
    }
}
