package io.terok.bench;

import io.terok.common.ServiceName;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    final PrivateInstallation inst;

    MemoryBenchmark(PrivateInstallation inst) {
        this.inst = inst;
        for (String lever : List.of("TEROK_SERVICE_JVM_OPTS", "MALLOC_ARENA_MAX")) {
            String v = System.getenv(lever);
            if (v != null && !v.isBlank()) {
                inst.env.put(lever, v);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]).toAbsolutePath().normalize();
        int settle = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int tasks = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int starts = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        try (PrivateInstallation inst = PrivateInstallation.create(repo, "memory", FakeInternet.spec("tbm").addresses(2, 6))) {
            new MemoryBenchmark(inst).run(settle, tasks, starts);
        }
    }

    record Memory(long rssKib, long pssKib) {
    }

    void run(int settle, int tasks, int starts) throws Exception {
        FakeInternet internet = inst.internet;
        inst.config(
                "terok:",
                "  vault:",
                "    kernel-keyring: false",
                "    passphrase-command: printf %s bench-memory-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: http://" + internet.ip(6));
        System.out.println("JVM options: " + inst.env.getOrDefault("TEROK_SERVICE_JVM_OPTS", "(terok's defaults)")
                + (inst.env.containsKey("MALLOC_ARENA_MAX") ? ", MALLOC_ARENA_MAX=" + inst.env.get("MALLOC_ARENA_MAX") : ""));
        System.out.println();
        // A first up and down, as after an installation: the class-data archives are recorded at that exit.
        inst.servicesUp();
        inst.terok(null, "services", "down");
        Map<String, Double> together = startTimes(inst.servicesUp().out());
        inst.hooks(true);
        Thread.sleep(2000);
        Map<ServiceName, Memory> started = measure();
        inst.terok("sk-ant-bench-memory-REAL", "vault", "add", "anthropic");
        Path upstream = inst.seedUpstream();
        inst.terok(null, "gate", "create", "demo", "file://" + upstream);
        String script = String.join("\n",
                "set -e",
                "curl -sS -m 10 -o /dev/null -H \"x-api-key: $ANTHROPIC_API_KEY\" \"$ANTHROPIC_BASE_URL/index.html\"",
                "cd /tmp && git clone -q \"$TEROK_GATE_URL\" work",
                "curl -sS -m 2 -o /dev/null http://" + internet.ip(5) + "/ && exit 9 || true");
        long w0 = System.nanoTime();
        for (int i = 0; i < tasks; i++) {
            inst.terok(null, "run", "--rm", "--project", "demo", "--provider", "anthropic", "localhost/terok-agent:latest",
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
                Double t = startTimes(inst.servicesUp().out()).get(s.id());
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
        return inst.pid(s.id());
    }

    /** Stops one service as `services down` would (SIGTERM, then waits), leaving the others up. */
    void stop(ServiceName s) throws Exception {
        ProcessHandle h = ProcessHandle.of(pid(s)).orElseThrow();
        h.destroy();
        h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        Files.deleteIfExists(inst.home.resolve("run/pids/" + s.id() + ".pid"));
        Files.deleteIfExists(inst.home.resolve("run/" + s.id() + ".sock"));
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
}
