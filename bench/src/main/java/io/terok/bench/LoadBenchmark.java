package io.terok.bench;

import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.terok.api.v1.ClearanceRequest;
import io.terok.api.v1.ClearanceServiceGrpc;
import io.terok.api.v1.ListPendingRequestsRequest;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 16's flood isolation: does one task that floods slow the others? A victim's measures, in the same run, with
 * no flood (baseline) and with one flooding task: a thousand blocked connections a second from inside its container,
 * a thousand provider requests a second through the broker with its phantom token, and both together. Measured for
 * the others: the launch of a filtered task with tokens (`terok run -d`, as an operator runs it), the latency of a
 * provider call through the broker with a running task's phantom token, and how long a blocked connection of that
 * task takes to become a pending clearance request. Target: no more than 20 % slower than the baseline. After each
 * flood: nothing was opened for the flooder (a blocked destination still refused).
 * Both floods run inside the flooder's container, as an agent's own code would: its CPU is the task's (its cgroup),
 * and its provider requests reach the broker the way a task's do (slirp4netns relays them to the host's loopback).
 * The flooder runs the agents' base image (python3 for the request flood's client, provider-flood.py).
 * Usage: LoadBenchmark REPO [LAUNCHES_PER_PHASE] [FLOOD_RATE] [FLOOD_CONNECTIONS]. As root. Prints Markdown tables.
 */
public final class LoadBenchmark {
    static final String REAL_KEY = "sk-ant-bench-load-REAL";
    /** The agents' base image (python3, curl, bash), built by bin/prepare-host. */
    static final String FLOODER_IMAGE = "localhost/terok-agent-base:bookworm";
    /** The request flood's keep-alive connections (an agent with many parallel tool calls, or a runaway loop's). */
    static int floodConnections = 16;
    final PrivateInstallation inst;
    final FakeInternet internet;
    HttpServer provider;
    final AtomicLong providerCalls = new AtomicLong();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newFixedThreadPool(8)).build();

    LoadBenchmark(PrivateInstallation inst) {
        this.inst = inst;
        this.internet = inst.internet;
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]).toAbsolutePath().normalize();
        int launches = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        floodConnections = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        try (PrivateInstallation inst = PrivateInstallation.create(repo, "load", FakeInternet.spec("tbl").addresses(2, 11))) {
            new LoadBenchmark(inst).run(launches, rate);
        }
        System.exit(0);
    }

    /** What the others saw in one phase. */
    record Phase(String name, Stats launchMs, Stats providerMs, Stats promptMs, String flood, String cpu) {
    }

    /**
     * The cpu.shares (cgroups v1) or cpu.weight (v2) of the process's cgroup and of its parent: a task's own is podman's
     * default 1024; its parent is terok's /terok-tasks with the tasks' weight where runtime applied it
     * (io.terok.common.TasksCgroup), podman's /libpod_parent (1024) otherwise.
     */
    static String cpuWeight(String pid) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && List.of(f[1].split(",")).contains("cpu")) {
                return weight(Path.of("/sys/fs/cgroup/cpu"), f[2], "cpu.shares");
            }
            if (f.length == 3 && f[0].equals("0") && Files.exists(Path.of("/sys/fs/cgroup" + f[2], "cpu.weight"))) {
                return weight(Path.of("/sys/fs/cgroup"), f[2], "cpu.weight");
            }
        }
        return "none (no cpu controller)";
    }

    private static String weight(Path hierarchy, String cgroup, String file) throws java.io.IOException {
        Path own = Path.of(hierarchy + cgroup);
        return file + " " + Files.readString(own.resolve(file)).strip() + ", its parent " + own.getParent().getFileName() + "'s "
                + Files.readString(own.getParent().resolve(file)).strip();
    }

    /** CPU time so far (ms): each service's (from the pids in its pid file), the flooder container's, the machine's. */
    Map<String, Double> serviceCpu() throws java.io.IOException {
        Map<String, Double> cpu = new java.util.TreeMap<>();
        for (String s : List.of("runtime", "vault", "gate", "shield", "clearance")) {
            cpu.put(s, ProcessCpu.ownMs(inst.pid(s)));
        }
        // shield's NFLOG readers (a tcpdump per running task, its children and never reaped while they run, so not
        // in shield's own figure): what a blocked-connection flood wakes per logged packet
        cpu.put("shield's readers", ProcessCpu.childrenMs(inst.pid("shield")));
        // The flooder's container (its cgroup: what a task's CPU limits bound) and the whole machine (all cores).
        String pid = Cmd.exec(inst.podman("inspect", "--format", "{{.State.Pid}}", "flooder"), null, e -> { }, null, 30).out().strip();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && List.of(f[1].split(",")).contains("cpuacct")) {
                cpu.put("flooder's container", Long.parseLong(Files.readString(
                        Path.of("/sys/fs/cgroup/cpuacct" + f[2], "cpuacct.usage")).strip()) / 1e6);
            }
        }
        // The flooder's slirp4netns: it relays each of the task's connections to the host's loopback, in its own
        // process outside the task's cgroup (what a task's CPU limits do not bound).
        String netns = Cmd.exec(inst.podman("inspect", "--format", "{{.NetworkSettings.SandboxKey}}", "flooder"), null, e -> { }, null, 30)
                .out().strip();
        long slirp = slirpPid(netns, pid);
        if (slirp > 0) {
            cpu.put("flooder's slirp4netns", ProcessCpu.ownMs(slirp));
        }
        String[] stat = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i <= 8; i++) {
            busy += i == 4 || i == 5 ? 0 : Long.parseLong(stat[i]); // all but idle and iowait
        }
        cpu.put("machine", busy * 10.0);
        return cpu;
    }

    /**
     * The slirp4netns process serving a container's network namespace, or -1: its command line names the namespace's
     * path (a container created with a named netns) or the container's pid (podman 4.3's libpod API).
     */
    static long slirpPid(String netns, String containerPid) throws java.io.IOException {
        for (long pid : ProcessCpu.pids()) {
            try {
                List<String> args = List.of(new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8).split("\0"));
                if (!args.isEmpty() && args.get(0).endsWith("slirp4netns")
                        && ((!netns.isEmpty() && args.contains(netns)) || args.contains(containerPid))) {
                    return pid;
                }
            } catch (java.io.IOException gone) {
                // the process ended while we looked
            }
        }
        return -1;
    }

    void run(int launches, int rate) throws Exception {
        try {
            provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
            provider.setExecutor(Executors.newFixedThreadPool(16));
            byte[] answer = "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}".getBytes(StandardCharsets.UTF_8);
            provider.createContext("/", ex -> {
                providerCalls.incrementAndGet();
                ex.getRequestBody().readAllBytes();
                ex.getResponseHeaders().add("content-type", "application/json");
                ex.sendResponseHeaders(200, answer.length);
                ex.getResponseBody().write(answer);
                ex.close();
            });
            provider.start();
            inst.config(
                    "terok:",
                    "  vault:",
                    "    kernel-keyring: false",
                    "    passphrase-command: printf %s bench-load-passphrase",
                    "    providers:",
                    "      anthropic:",
                    "        upstream: http://127.0.0.1:" + provider.getAddress().getPort());
            inst.start();
            inst.terok(REAL_KEY, "vault", "add", "anthropic");
            inst.terok(null, "gate", "create", "demo", "file://" + inst.seedUpstream());
            inst.terok(null, "run", "-d", "--name", "victim", "--project", "demo", "--provider", "anthropic",
                    "localhost/terok-agent:latest", "sleep", "3600");
            inst.terok(null, "run", "-d", "--name", "flooder", "--project", "demo", "--provider", "anthropic",
                    FLOODER_IMAGE, "sleep", "3600");
            String victimPhantom = inTask("victim", "printenv ANTHROPIC_API_KEY").strip();
            String flooderPhantom = inTask("flooder", "printenv ANTHROPIC_API_KEY").strip();
            String[] flooderNet = Cmd.exec(inst.podman("inspect", "--format", "{{.NetworkSettings.SandboxKey}} {{.State.Pid}}", "flooder"),
                    null, e -> { }, null, 30).out().strip().split(" ");
            System.out.println("the flooder's slirp4netns: pid " + slirpPid(flooderNet[0], flooderNet[flooderNet.length - 1]));
            System.out.println("the flooder's CPU weight: " + cpuWeight(flooderNet[flooderNet.length - 1]));
            String victimId = label("victim");
            URI broker = URI.create("http://127.0.0.1:" + brokerPort() + "/v1/messages");
            // warm-up: the JIT of every path the phases use
            measure("warm-up", Math.max(2, launches / 2), broker, victimPhantom, victimId, () -> "");

            List<Phase> phases = new ArrayList<>();
            phases.add(measure("no flood (baseline)", launches, broker, victimPhantom, victimId, () -> ""));
            phases.add(flooded("blocked-connection flood", launches, broker, victimPhantom, victimId, rate, true, false, flooderPhantom));
            phases.add(flooded("provider-request flood", launches, broker, victimPhantom, victimId, rate, false, true, flooderPhantom));
            phases.add(flooded("both floods", launches, broker, victimPhantom, victimId, rate, true, true, flooderPhantom));
            phases.add(measure("no flood (again)", launches, broker, victimPhantom, victimId, () -> ""));

            String load = Files.readString(Path.of("/proc/loadavg")).strip();
            System.out.printf("### Flood isolation (%d launches, provider calls every 50 ms meanwhile, flood rate %d/s; load average at the end: %s)%n%n",
                    launches, rate, load);
            System.out.println("| phase | launch p50 ms | launch p95 ms | provider call p50 ms | provider call p95 ms | blocked → pending request p50 ms | the flood | services' CPU % of one core |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            Phase base = phases.get(0);
            for (Phase p : phases) {
                System.out.printf("| %s | %.0f (%s) | %.0f | %.1f (%s) | %.1f | %.0f (%s) | %s | %s |%n", p.name(),
                        p.launchMs().median(), ratio(p.launchMs().median(), base.launchMs().median()), p.launchMs().percentile(95),
                        p.providerMs().median(), ratio(p.providerMs().median(), base.providerMs().median()), p.providerMs().percentile(95),
                        p.promptMs().median(), ratio(p.promptMs().median(), base.promptMs().median()), p.flood(), p.cpu());
            }
            System.out.println();
            System.out.println("pending clearance requests of the flooder at the end: " + pending(label("flooder")).size()
                    + "; of the victim: " + pending(victimId).size());
        } finally {
            inst.terokQuietly(120, "rm", "-f", "victim");
            inst.terokQuietly(120, "rm", "-f", "flooder");
            if (provider != null) {
                provider.stop(0);
            }
        }
    }

    static String ratio(double v, double base) {
        return String.format("%+.0f %%", (v / base - 1) * 100);
    }

    interface FloodReport {
        String get() throws Exception;
    }

    Phase flooded(String name, int launches, URI broker, String victimPhantom, String victimId, int rate, boolean blocked,
                  boolean requests, String flooderPhantom) throws Exception {
        Process conns = null;
        long t0 = System.nanoTime();
        if (blocked) {
            // From inside the flooder's container: every 20 ms, one curl connects in parallel to the destinations due
            // by then (RATE a second, each a new port: a new blocked destination for shield and clearance), each with
            // a 2 s deadline so a dropped packet cannot stall the pace; curl's exit code per connection is counted.
            String script = "rate=" + rate + "; start=${EPOCHREALTIME/./}; n=0; ips=(" + internet.ip(3) + " " + internet.ip(4)
                    + " " + internet.ip(5) + "); : > /tmp/codes; while [ ! -e /tmp/stop ]; do now=${EPOCHREALTIME/./};"
                    + " due=$(( (now-start)*rate/1000000 )); if [ $due -gt $n ]; then f=/tmp/batch$n;"
                    + " { while [ $n -lt $due ]; do printf 'url = \"http://%s:%d/\"\noutput = \"/dev/null\"\n'"
                    + " ${ips[n%3]} $((1024 + n % 60000)); n=$((n+1)); done; } > $f;"
                    + " ( curl -sZ --parallel-max 300 --connect-timeout 2 -m 3 -w '%{exitcode}\n' -K $f >> /tmp/codes 2>/dev/null;"
                    + " rm -f $f ) & fi; sleep 0.02; done; wait; echo SENT=$n; echo CODES=$(sort /tmp/codes | uniq -c | tr -s ' \n' ' ');"
                    + " rm -f /tmp/stop /tmp/codes";
            conns = new ProcessBuilder(inst.podman("exec", "flooder", "bash", "-c", script)).redirectErrorStream(true).start();
        }
        Process reqs = null;
        if (requests) {
            String client = new String(LoadBenchmark.class.getResourceAsStream("provider-flood.py").readAllBytes(), StandardCharsets.UTF_8);
            reqs = new ProcessBuilder(inst.podman("exec", "flooder", "python3", "-c", client, Integer.toString(rate),
                    Integer.toString(floodConnections))).redirectErrorStream(true).start();
        }
        Thread.sleep(2000); // the flood at full rate before the others are measured
        Process floodConns = conns;
        Process floodReqs = reqs;
        Phase p = measure(name, launches, broker, victimPhantom, victimId, () -> {
            if (floodReqs != null) {
                inTask("flooder", "touch /tmp/stop-requests");
                floodReqs.waitFor(60, TimeUnit.SECONDS);
                inTask("flooder", "rm -f /tmp/stop-requests");
            }
            double s = (System.nanoTime() - t0) / 1e9;
            StringBuilder f = new StringBuilder();
            if (floodConns != null) {
                inTask("flooder", "touch /tmp/stop");
                floodConns.waitFor(60, TimeUnit.SECONDS);
                String out = new String(floodConns.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("SENT=(\\d+)\\s+CODES=(.*)").matcher(out);
                if (!m.find()) {
                    throw new IllegalStateException("the connection flood did not report: " + out);
                }
                f.append(String.format("%.0f blocked connections/s (curl exit codes, count code: %s)",
                        Long.parseLong(m.group(1)) / s, m.group(2).strip()));
            }
            if (floodReqs != null) {
                String out = new String(floodReqs.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("SENT=(\\d+) CONNECTS=(\\d+) STATUS=(\\S*)").matcher(out);
                if (!m.find()) {
                    throw new IllegalStateException("the request flood did not report: " + out);
                }
                f.append(f.length() > 0 ? ", " : "").append(String.format("%.0f provider requests/s (status count: %s; %s connections)",
                        Long.parseLong(m.group(1)) / s, m.group(3), m.group(2)));
            }
            // A flood never opens anything: the flooder's blocked destinations stay refused.
            String probe = inTask("flooder", "curl -s -m 3 -o /dev/null http://" + internet.ip(3) + "/ && echo OPEN || echo REFUSED").strip();
            if (!probe.equals("REFUSED")) {
                throw new IllegalStateException("the flood opened a destination for the flooder: " + probe);
            }
            return f.toString();
        });
        return p;
    }

    /**
     * The others' figures: LAUNCHES launches of a filtered task with tokens, one after the other (each removed
     * untimed), provider calls with the victim's phantom token every 50 ms meanwhile, and 3 of the victim's blocked
     * connections, each to a new destination, timed until clearance lists its pending request.
     */
    Phase measure(String name, int launches, URI broker, String victimPhantom, String victimId, FloodReport end) throws Exception {
        List<Double> providerMs = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        HttpRequest req = HttpRequest.newBuilder(broker).timeout(Duration.ofSeconds(30)).header("x-api-key", victimPhantom)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"victim\":true}")).build();
        Thread caller = new Thread(() -> {
            while (!stop.get()) {
                long t = System.nanoTime();
                try {
                    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        failed.set(new IllegalStateException("the victim's provider call answered " + r.statusCode() + ": " + r.body()));
                        return;
                    }
                } catch (java.io.IOException | InterruptedException e) {
                    failed.set(new IllegalStateException("the victim's provider call failed: " + e, e));
                    return;
                }
                providerMs.add((System.nanoTime() - t) / 1e6);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "victim-calls");
        Map<String, Double> cpu0 = serviceCpu();
        long c0 = System.nanoTime();
        caller.start();
        List<Double> launchMs = new ArrayList<>();
        for (int i = 0; i < launches; i++) {
            long t = System.nanoTime();
            inst.terok(null, "run", "-d", "--name", "other", "--project", "demo", "--provider", "anthropic",
                    "localhost/terok-agent:latest", "sleep", "600");
            launchMs.add((System.nanoTime() - t) / 1e6);
            inst.terok(null, "rm", "-f", "other");
        }
        List<Double> promptMs = new ArrayList<>();
        // 3 a phase: clearance keeps at most 20 pending requests a task (six phases with the warm-up)
        for (int i = 0; i < 3; i++) {
            promptMs.add(promptLatency(victimId));
        }
        stop.set(true);
        caller.join(30_000);
        Map<String, Double> cpu1 = serviceCpu();
        double wall = (System.nanoTime() - c0) / 1e6;
        String flood = end.get();
        if (failed.get() != null) {
            throw failed.get();
        }
        StringBuilder cpu = new StringBuilder();
        cpu1.forEach((s, ms) -> cpu.append(cpu.length() > 0 ? ", " : "").append(s).append(' ')
                .append(String.format("%.0f", 100 * (ms - cpu0.getOrDefault(s, ms)) / wall)));
        return new Phase(name, new Stats(launchMs), new Stats(providerMs), new Stats(promptMs), flood.isEmpty() ? "none" : flood,
                cpu.toString());
    }

    static int victimPort = 20000;

    /**
     * The victim connects to a destination it never tried; how long until clearance lists its request. Each probe
     * goes to the next of six addresses (.6-.11), so the victim never reaches shield's own per-address budget (the
     * first 8 ports of an address in 30 s are shown; more are folded): a phase's three probes would otherwise fold
     * into the last phases' window, which is the victim's own flood control, not the flooder's effect measured here.
     */
    double promptLatency(String victimId) throws Exception {
        int port = ++victimPort;
        String address = internet.ip(6 + port % 6);
        long t = System.nanoTime();
        inTask("victim", "curl -s -m 1 -o /dev/null http://" + address + ":" + port + "/; true");
        while (System.nanoTime() - t < 30_000_000_000L) {
            for (ClearanceRequest r : pending(victimId)) {
                if (r.getDestinationPort() == port) {
                    return (System.nanoTime() - t) / 1e6;
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the victim's blocked connection to port " + port + " raised no clearance request in 30 s");
    }

    List<ClearanceRequest> pending(String taskId) {
        ManagedChannel ch = UnixChannels.open(inst.home.resolve("run/clearance.sock"));
        try {
            return ClearanceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listPending(ListPendingRequestsRequest.newBuilder().setTaskId(taskId).build()).getRequestsList();
        } finally {
            ch.shutdownNow();
        }
    }

    String brokerPort() throws Exception {
        String url = inTask("victim", "printenv ANTHROPIC_BASE_URL").strip();
        return url.replaceAll(".*:(\\d+).*", "$1");
    }

    String label(String name) {
        return Cmd.exec(inst.podman("inspect", "--format", "{{index .Config.Labels \"io.terok.task\"}}", name), null, e -> { }, null, 30)
                .out().strip();
    }

    String inTask(String name, String script) {
        List<String> cmd = inst.podman("exec", name, "bash", "-c", script);
        Cmd.Output o = Cmd.exec(cmd, null, e -> { }, null, 60);
        if (o.code() != 0) {
            throw new IllegalStateException("in " + name + ": " + script + " exited " + o.code() + ": " + o.err());
        }
        return o.out();
    }
}
