package io.terok.bench;

import io.grpc.ManagedChannel;
import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivatePodman;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 16's "Lean services": each service's memory and start time as `terok services up` runs them (its JVM
 * options, or TEROK_SERVICE_JVM_OPTS to try a lever). Resident memory (VmRSS of /proc/PID/status) and proportional
 * memory (Pss of /proc/PID/smaps_rollup: pages shared between the five JVMs, such as the JDK's class-data archive,
 * count once in the sum) after `services up`, after a standard workload (filtered tasks, each with a provider call
 * through the broker, a clone from the gate and a blocked connection), and after SETTLE seconds of rest; then each
 * service's start to healthy, alone (the others up), as `terok services up` reports it. A first up and down comes
 * before, as after an installation (the class-data archives are recorded at that exit).
 * Usage: MemoryBenchmark REPO [SETTLE_SECONDS] [TASKS] [STARTS]. As root. Prints Markdown tables.
 */
public final class MemoryBenchmark {
    static final Pattern UP = Pattern.compile("(?m)^\\s+(\\w+)\\s+up \\((\\d+\\.\\d) s\\)");

    final Path repo;
    final Path home;
    final Map<String, String> env = new LinkedHashMap<>();

    MemoryBenchmark(Path repo, Path home) {
        this.repo = repo;
        this.home = home;
        env.put("TEROK_RUNTIME_DIR", home.resolve("run").toString());
        env.put("TEROK_DATA_DIR", home.resolve("data").toString());
        env.put("TEROK_STATE_DIR", home.resolve("state").toString());
        env.put("TEROK_CONFIG_DIR", home.resolve("config").toString());
        env.put("TEROK_HOME", repo.toString());
        // Ports from a private registry: an operator's own terok on this machine keeps its own.
        env.put("TEROK_PORT_REGISTRY_DIR", home.resolve("ports").toString());
        for (String lever : List.of("TEROK_SERVICE_JVM_OPTS", "MALLOC_ARENA_MAX")) {
            String v = System.getenv(lever);
            if (v != null && !v.isBlank()) {
                env.put(lever, v);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]).toAbsolutePath().normalize();
        int settle = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int tasks = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int starts = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Cmd.require(List.of("nft", "nsenter", "ip", "dnsmasq", "podman", "git", "slirp4netns"));
        Path home = Path.of("/tmp", "terok-bench-memory-" + ProcessHandle.current().pid());
        Files.createDirectories(home);
        new MemoryBenchmark(repo, home).run(settle, tasks, starts);
    }

    record Memory(long rssKib, long pssKib) {
    }

    void run(int settle, int tasks, int starts) throws Exception {
        FakeInternet internet = null;
        PrivatePodman podman = null;
        boolean up = false;
        try {
            internet = FakeInternet.spec("tbm").addresses(2, 6).start();
            podman = new PrivatePodman(home, home.resolve("data/shield/hooks"));
            env.put("TEROK_PODMAN_SOCKET", podman.socket.toString());
            env.put("TEROK_SHIELD_UPSTREAM_DNS", internet.resolver());
            env.put("TEROK_SHIELD_HOOKS_REGISTRATION", home.resolve("containers.conf.d/terok-shield.conf").toString());
            Files.createDirectories(home.resolve("config"));
            Files.writeString(home.resolve("config/config.yaml"), String.join("\n",
                    "terok:",
                    "  vault:",
                    "    kernel-keyring: false",
                    "    passphrase-command: printf %s bench-memory-passphrase",
                    "    providers:",
                    "      anthropic:",
                    "        upstream: http://" + internet.ip(6),
                    ""));
            System.out.println("JVM options: " + env.getOrDefault("TEROK_SERVICE_JVM_OPTS", "(terok's defaults)")
                    + (env.containsKey("MALLOC_ARENA_MAX") ? ", MALLOC_ARENA_MAX=" + env.get("MALLOC_ARENA_MAX") : ""));
            System.out.println();
            up = true;
            // A first up and down, as after an installation: the class-data archives are recorded at that exit.
            terok(null, "services", "up");
            terok(null, "services", "down");
            Map<String, Double> together = startTimes(terok(null, "services", "up").out());
            shield(true);
            Thread.sleep(2000);
            Map<ServiceName, Memory> started = measure();
            terok("sk-ant-bench-memory-REAL", "vault", "add", "anthropic");
            Path upstream = home.resolve("upstream.git");
            Path seed = home.resolve("seed");
            git(home, "init", "-q", "--bare", "-b", "main", upstream.toString());
            git(home, "clone", "-q", upstream.toString(), seed.toString());
            Files.writeString(seed.resolve("README"), "upstream\n");
            git(seed, "add", "README");
            git(seed, "commit", "-q", "-m", "initial");
            git(seed, "push", "-q", "origin", "HEAD:main");
            terok(null, "gate", "create", "demo", "file://" + upstream);
            String script = String.join("\n",
                    "set -e",
                    "curl -sS -m 10 -o /dev/null -H \"x-api-key: $ANTHROPIC_API_KEY\" \"$ANTHROPIC_BASE_URL/index.html\"",
                    "cd /tmp && git clone -q \"$TEROK_GATE_URL\" work",
                    "curl -sS -m 2 -o /dev/null http://" + internet.ip(5) + "/ && exit 9 || true");
            long w0 = System.nanoTime();
            for (int i = 0; i < tasks; i++) {
                terok(null, "run", "--rm", "--project", "demo", "--provider", "anthropic", "localhost/terok-agent:latest",
                        "bash", "-c", script);
            }
            double workloadS = (System.nanoTime() - w0) / 1e9;
            Map<ServiceName, Memory> loaded = measure();
            Thread.sleep(settle * 1000L);
            Map<ServiceName, Memory> settled = measure();
            Map<ServiceName, String> breakdown = new EnumMap<>(ServiceName.class);
            for (ServiceName s : ServiceName.values()) {
                breakdown.put(s, breakdown(pid(s)));
            }

            Map<ServiceName, List<Double>> alone = new EnumMap<>(ServiceName.class);
            for (int i = 0; i < starts; i++) {
                for (ServiceName s : ServiceName.values()) {
                    stop(s);
                    Double t = startTimes(terok(null, "services", "up").out()).get(s.id());
                    if (t == null) {
                        throw new IllegalStateException("services up did not report " + s.id() + " up");
                    }
                    alone.computeIfAbsent(s, k -> new ArrayList<>()).add(t);
                }
            }

            System.out.printf("### Memory (MiB) and start (s); workload: %d filtered tasks in %.1f s, settle %d s%n%n",
                    tasks, workloadS, settle);
            System.out.println("| service | RSS started | RSS after workload | RSS settled | PSS settled | start, all five at once | start alone (median of " + starts + ") |");
            System.out.println("|---|---|---|---|---|---|---|");
            long[] sums = new long[4];
            double maxAlone = 0;
            for (ServiceName s : ServiceName.values()) {
                double a = new Stats(alone.get(s)).median();
                maxAlone = Math.max(maxAlone, a);
                System.out.printf("| %s | %.0f | %.0f | %.0f | %.0f | %.1f | %.1f |%n", s.id(), mib(started.get(s).rssKib()),
                        mib(loaded.get(s).rssKib()), mib(settled.get(s).rssKib()), mib(settled.get(s).pssKib()),
                        together.getOrDefault(s.id(), Double.NaN), a);
                sums[0] += started.get(s).rssKib();
                sums[1] += loaded.get(s).rssKib();
                sums[2] += settled.get(s).rssKib();
                sums[3] += settled.get(s).pssKib();
            }
            System.out.printf("| **all five** | %.0f | %.0f | %.0f | %.0f | | max %.1f |%n%n", mib(sums[0]), mib(sums[1]),
                    mib(sums[2]), mib(sums[3]), maxAlone);
            System.out.println("### Where the MiB are, settled (committed MiB from `jcmd PID VM.native_memory summary`"
                    + " when -XX:NativeMemoryTracking=summary is among the options; heap used from `GC.heap_info`)");
            System.out.println();
            System.out.println("| service | threads | " + String.join(" | ", NMT_CATEGORIES) + " | heap used |");
            System.out.println("|---|---|" + "---|".repeat(NMT_CATEGORIES.size()) + "---|");
            for (ServiceName s : ServiceName.values()) {
                System.out.println("| " + s.id() + " | " + breakdown.get(s) + " |");
            }
            System.out.println();
        } finally {
            if (up) {
                try {
                    shield(false);
                } catch (RuntimeException e) {
                    System.err.println("uninstalling the hooks: " + e.getMessage());
                }
                Cmd.exec(command("services", "down"), null, e -> { }, null, 120);
            }
            for (AutoCloseable c : new AutoCloseable[] {podman, internet}) {
                if (c != null) {
                    c.close();
                }
            }
            Cmd.exec(List.of("rm", "-rf", home.toString()), null, e -> { }, null, 120);
        }
    }

    void shield(boolean install) {
        ManagedChannel ch = UnixChannels.open(home.resolve("run/shield.sock"));
        try {
            var stub = ShieldServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
            if (install) {
                if (!stub.installHooks(HooksRequest.getDefaultInstance()).getInstalled()) {
                    throw new IllegalStateException("shield did not install its hooks");
                }
            } else {
                stub.uninstallHooks(HooksRequest.getDefaultInstance());
            }
        } finally {
            ch.shutdownNow();
        }
    }

    static double mib(long kib) {
        return kib / 1024.0;
    }

    static Map<String, Double> startTimes(String out) {
        Map<String, Double> t = new LinkedHashMap<>();
        Matcher m = UP.matcher(out);
        while (m.find()) {
            t.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return t;
    }

    long pid(ServiceName s) throws IOException {
        return Long.parseLong(Files.readString(home.resolve("run/pids/" + s.id() + ".pid")).trim());
    }

    /** Stops one service as `services down` would (SIGTERM, then waits), leaving the others up. */
    void stop(ServiceName s) throws Exception {
        ProcessHandle h = ProcessHandle.of(pid(s)).orElseThrow();
        h.destroy();
        h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        Files.deleteIfExists(home.resolve("run/pids/" + s.id() + ".pid"));
        Files.deleteIfExists(home.resolve("run/" + s.id() + ".sock"));
    }

    Map<ServiceName, Memory> measure() throws IOException {
        Map<ServiceName, Memory> m = new EnumMap<>(ServiceName.class);
        for (ServiceName s : ServiceName.values()) {
            Path proc = Path.of("/proc", Long.toString(pid(s)));
            m.put(s, new Memory(kib(Files.readString(proc.resolve("status")), "VmRSS:"),
                    kib(Files.readString(proc.resolve("smaps_rollup")), "Pss:")));
        }
        return m;
    }

    /** The NMT categories worth a column; the rest (Symbol, Internal, Other, ...) are small. */
    static final List<String> NMT_CATEGORIES = List.of("Java Heap", "Class", "Shared class space", "Thread", "Code", "GC", "Compiler",
            "Symbol", "Internal", "Other", "Arena Chunk");
    static final Pattern NMT_LINE = Pattern.compile("(?m)^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)");
    static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    /** One table row's cells after the name: threads, the NMT categories' committed MiB (or -), heap used. */
    String breakdown(long pid) throws IOException {
        List<String> cells = new ArrayList<>();
        cells.add(Long.toString(kib(Files.readString(Path.of("/proc", Long.toString(pid), "status")), "Threads:")));
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        String nmt = Cmd.exec(List.of(jcmd, Long.toString(pid), "VM.native_memory", "summary"), null, e -> { }, null, 60).out();
        Map<String, Long> committed = new LinkedHashMap<>();
        Matcher m = NMT_LINE.matcher(nmt);
        while (m.find()) {
            committed.put(m.group(1).trim(), Long.parseLong(m.group(2)));
        }
        for (String c : NMT_CATEGORIES) {
            Long k = committed.get(c);
            cells.add(k == null ? "-" : String.format("%.0f", mib(k)));
        }
        String heap = Cmd.exec(List.of(jcmd, Long.toString(pid), "GC.heap_info"), null, e -> { }, null, 60).out();
        long used = 0;
        for (String line : heap.lines().filter(l -> l.contains("generation") || l.contains("heap")).toList()) {
            Matcher h = HEAP_USED.matcher(line); // SerialGC: the young and the tenured generation; G1: one heap line
            if (h.find()) {
                used += Long.parseLong(h.group(1));
            }
        }
        cells.add(String.format("%.0f", mib(used)));
        return String.join(" | ", cells);
    }

    static long kib(String table, String field) {
        for (String line : table.lines().toList()) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no " + field + " in\n" + table);
    }

    List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of("env"));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.add(repo.resolve("bin/terok").toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    Cmd.Output terok(String input, String... args) {
        Cmd.Output o = Cmd.exec(command(args), null, e -> { }, input == null ? null : input + "\n", 300);
        if (o.code() != 0) {
            throw new IllegalStateException("terok " + String.join(" ", args) + " exited " + o.code() + "\nstdout: "
                    + o.out() + "\nstderr: " + o.err());
        }
        return o;
    }

    void git(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString(), "-c", "user.name=Bench",
                "-c", "user.email=bench@example.invalid"));
        cmd.addAll(List.of(args));
        Cmd.Output o = Cmd.exec(cmd, null, e -> { }, null, 60);
        if (o.code() != 0) {
            throw new IllegalStateException("git " + String.join(" ", args) + ": " + o.err());
        }
    }
}
