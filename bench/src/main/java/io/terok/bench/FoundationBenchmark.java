package io.terok.bench;

import io.grpc.ManagedChannel;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.Task;
import io.terok.api.v1.WaitRequest;
import io.terok.common.HostProcess;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The foundation's two figures, each against its baseline in the same run:
 * (1) launch-to-exit of a trivial task through the runtime API vs plain {@code podman run --rm} with the
 * same hardening flags; (2) start-up of the {@code terok} command ({@code terok ps} on an idle system).
 * Usage: FoundationBenchmark REPO [RUNS]. Prints a Markdown table.
 */
public final class FoundationBenchmark {
    static final String IMAGE = "localhost/terok-busybox:latest";

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]).toAbsolutePath().normalize();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        Path home = Files.createTempDirectory("terok-bench-");
        Map<String, String> env = Map.of(
                "TEROK_RUNTIME_DIR", home.resolve("run").toString(),
                "TEROK_DATA_DIR", home.resolve("data").toString(),
                "TEROK_STATE_DIR", home.resolve("state").toString(),
                "TEROK_CONFIG_DIR", home.resolve("config").toString(),
                "TEROK_HOME", repo.toString());
        String terok = repo.resolve("bin/terok").toString();
        try {
            // Inside the try: a half-failed up still gets its services stopped by the finally block.
            run(env, terok, "services", "up");
            List<String> baseline = baselineCommand();
            ManagedChannel ch = UnixChannels.open(ServiceName.RUNTIME.socket(home.resolve("run")));
            RuntimeServiceGrpc.RuntimeServiceBlockingStub rt = RuntimeServiceGrpc.newBlockingStub(ch);
            List<Double> api = new ArrayList<>();
            List<Double> apiWithRemove = new ArrayList<>();
            List<Double> plain = new ArrayList<>();
            for (int i = -3; i < runs; i++) {
                // Alternate so drift on the machine hits both sides alike; the first three are warm-up.
                long t0 = System.nanoTime();
                Task t = rt.withDeadlineAfter(60, TimeUnit.SECONDS).launch(LaunchRequest.newBuilder().setRunSpec(RunSpec.newBuilder()
                        .setImage(IMAGE).addCommand("true").setNetwork(NetworkMode.NETWORK_MODE_NONE)).build());
                rt.withDeadlineAfter(60, TimeUnit.SECONDS).wait(WaitRequest.newBuilder().setTask(t.getId()).build());
                long t1 = System.nanoTime();
                rt.withDeadlineAfter(60, TimeUnit.SECONDS).remove(RemoveRequest.newBuilder().setTask(t.getId()).build());
                long t2 = System.nanoTime();
                long p0 = System.nanoTime();
                run(Map.of(), baseline.toArray(String[]::new));
                long p1 = System.nanoTime();
                if (i >= 0) {
                    api.add((t1 - t0) / 1e6);
                    apiWithRemove.add((t2 - t0) / 1e6);
                    plain.add((p1 - p0) / 1e6);
                }
            }
            ch.shutdownNow();
            List<Double> ps = new ArrayList<>();
            List<Double> version = new ArrayList<>();
            List<Double> podmanPs = new ArrayList<>();
            for (int i = -2; i < runs; i++) {
                long a = System.nanoTime();
                run(env, terok, "ps");
                long b = System.nanoTime();
                run(env, terok, "--version");
                long c = System.nanoTime();
                run(Map.of(), "podman", "ps");
                long d = System.nanoTime();
                if (i >= 0) {
                    ps.add((b - a) / 1e6);
                    version.add((c - b) / 1e6);
                    podmanPs.add((d - c) / 1e6);
                }
            }
            Stats apiS = new Stats(api);
            Stats plainS = new Stats(plain);
            System.out.println("### Launch overhead (" + (isRoot() ? "rootful" : "rootless") + ", " + IMAGE + " `true`, --network none)");
            System.out.println();
            System.out.println("| what | runs | median ms | p10 ms | p90 ms |");
            System.out.println("|---|---|---|---|---|");
            System.out.println(plainS.row("baseline: `" + String.join(" ", baseline) + "`"));
            System.out.println(apiS.row("terok: gRPC Launch → Wait (container exited)"));
            System.out.println(new Stats(apiWithRemove).row("terok: Launch → Wait → Remove"));
            System.out.println();
            System.out.printf("Added by terok at the median (launch to exit vs `podman run --rm`): %+.1f ms%n%n", apiS.median() - plainS.median());
            System.out.println("### `terok` command start-up (services idle)");
            System.out.println();
            System.out.println("| what | runs | median ms | p10 ms | p90 ms |");
            System.out.println("|---|---|---|---|---|");
            System.out.println(new Stats(ps).row("`terok ps`"));
            System.out.println(new Stats(version).row("`terok --version`"));
            System.out.println(new Stats(podmanPs).row("reference: `podman ps`"));
        } finally {
            run(env, terok, "services", "down");
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The same hardening terok applies, spelled as podman CLI flags. */
    static List<String> baselineCommand() {
        List<String> c = new ArrayList<>(List.of("podman", "run", "--rm", "--network=none", "--cap-drop=all",
                "--security-opt=no-new-privileges", "--init"));
        if (isRoot()) {
            c.addAll(List.of("--userns=auto", "--user=1000:1000"));
        } else {
            c.add("--userns=keep-id:uid=1000,gid=1000");
        }
        c.addAll(List.of(IMAGE, "true"));
        return c;
    }

    /** Runs a command to completion (its output is not wanted); fails unless it exits 0 within two minutes. */
    static void run(Map<String, String> env, String... cmd) {
        Cmd.ok(HostProcess.of(List.of(cmd)).env(env).timeout(Duration.ofSeconds(120)));
    }
}
