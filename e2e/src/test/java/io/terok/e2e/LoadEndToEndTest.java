package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivateInstallation;
import io.terok.testsupport.PrivatePodman;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Many tasks at once, one installation, services started once: 20 concurrent launches of filtered tasks with a
 * phantom token and a gate token; 50 concurrent clones and pushes through the gate from 10 of them (real git in the
 * containers); 200 concurrent SSE streams through the broker (most from the host at the broker's loopback port, one
 * from inside each task); then the 20 removed at once and nothing of them left. Zero errors allowed: an error under
 * load is a bug in a service, never retried away. Prints throughput and the services' resident memory, sampled from
 * {@code /proc/PID/status} of the pids in the services' pid files while it runs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LoadEndToEndTest {
    static final String REAL_KEY = "sk-ant-load-REAL-0123456789";
    static final int TASKS = 20;
    /** Tasks 0-9 push, each into its own project (task i+10 shares project i; it does not push). */
    static final int PROJECTS = 10;
    static final int PUSHES_PER_TASK = 5;
    static final int STREAMS = 200;
    /** Events per stream, {@link #EVENT_GAP_MS} apart, so all 200 are open at once. */
    static final int EVENTS = 20;
    static final int EVENT_GAP_MS = 25;
    static Terok terok;
    static PrivateInstallation installation;
    static PrivatePodman podman;
    static FakeInternet internet;
    static HttpServer provider;
    static ExecutorService providerThreads;
    static final List<String> providerSaw = new CopyOnWriteArrayList<>();
    static final Map<String, Task> tasks = new TreeMap<>();
    static final MemorySampler memory = new MemorySampler();
    static final List<String> report = new CopyOnWriteArrayList<>();

    /** What a launched task is, as podman and its environment say. */
    record Task(String name, String id, int project, String pid, String netns, String phantom) {
    }

    @BeforeAll
    static void up() throws Exception {
        Cmd.require(List.of("nft", "nsenter", "ip", "dnsmasq", "busybox", "podman", "git", "curl"));
        installation = Terok.install("load", FakeInternet.spec("tld").addresses(2, 3));
        terok = new Terok(installation);
        internet = installation.internet();
        podman = installation.podman();
        // The scripted provider: a numbered stream of server-sent events, small gaps, then [DONE]. A thread per
        // stream (the JDK server's default is one thread for all) and a backlog for 200 connections arriving at once.
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        providerThreads = Executors.newFixedThreadPool(STREAMS + 16);
        provider.setExecutor(providerThreads);
        provider.createContext("/", ex -> {
            providerSaw.add(String.valueOf(ex.getRequestHeaders().getFirst("x-api-key")));
            try (InputStream in = ex.getRequestBody()) {
                in.readAllBytes();
            }
            ex.getResponseHeaders().add("content-type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < EVENTS; i++) {
                    out.write(("data: {\"n\":" + i + "}\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Thread.sleep(EVENT_GAP_MS);
                }
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            } catch (IOException | InterruptedException e) {
                // the client went away: its stream is then incomplete, which the test reports
            }
        });
        provider.start();
        installation.configWithVault("e2e-load-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: http://127.0.0.1:" + provider.getAddress().getPort());
        installation.start();
        memory.start(terok.runtimeDir().resolve("pids"));
        terok.runWithInput(REAL_KEY, "vault", "add", "anthropic").ok();
        Path upstream = terok.home.resolve("upstream.git");
        Path seed = terok.home.resolve("seed");
        terok.git(terok.home, "init", "-q", "--bare", "-b", "main", upstream.toString());
        terok.git(terok.home, "clone", "-q", upstream.toString(), seed.toString());
        terok.git(seed, "commit", "-q", "--allow-empty", "-m", "initial");
        terok.git(seed, "push", "-q", "origin", "HEAD:main");
        ManagedChannel gate = UnixChannels.open(terok.runtimeDir().resolve("gate.sock"));
        try {
            for (int p = 0; p < PROJECTS; p++) {
                GateServiceGrpc.newBlockingStub(gate).withDeadlineAfter(60, TimeUnit.SECONDS).createProject(CreateProjectRequest
                        .newBuilder().setName(project(p)).setUpstreamUrl("file://" + upstream).setSync(true).build());
            }
        } finally {
            gate.shutdownNow();
        }
        memory.mark("idle, after start");
    }

    @AfterAll
    static void down() {
        memory.stop();
        report.forEach(System.out::println);
        if (installation != null) {
            // only this class's tasks: podman's storage is the machine's, shared with every other test and engineer
            Cmd.run("sh", "-c", "podman --url=unix://" + podman.socket + " ps -aq --filter label=io.terok.task"
                    + " --filter name=^e2e-load- | xargs -r podman --url=unix://" + podman.socket + " rm -f -t 0");
            installation.close();
        }
        if (provider != null) {
            provider.stop(0);
            providerThreads.shutdownNow();
        }
    }

    static String project(int p) {
        return "e2e-load-" + p;
    }

    static String taskName(int i) {
        return String.format("e2e-load-%02d", i);
    }

    static Cmd.Output podman(int timeoutSeconds, String... args) {
        List<String> cmd = new ArrayList<>(List.of("podman", "--url=unix://" + podman.socket));
        cmd.addAll(List.of(args));
        return Cmd.exec(cmd, null, e -> { }, null, timeoutSeconds);
    }

    /** A shell script run in the task's container by podman exec (the container's user and environment). */
    static Cmd.Output inTask(String name, String script, int timeoutSeconds) {
        return podman(timeoutSeconds, "exec", "-e", "HOME=/tmp", name, "sh", "-c", script);
    }

    /** Runs every job at once (released together), waits for all; their answers in order. */
    static <T> List<T> allAtOnce(List<Callable<T>> jobs) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(jobs.size());
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> job : jobs) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return job.call();
                }));
            }
            go.countDown();
            List<T> answers = new ArrayList<>();
            for (Future<T> f : futures) {
                answers.add(f.get(300, TimeUnit.SECONDS));
            }
            return answers;
        } finally {
            pool.shutdownNow();
        }
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /**
     * 20 filtered tasks with a phantom token and a gate token, launched at once through the CLI: every launch
     * succeeds, and each task has its firewall (its table loaded in its netns, a connection to the fake internet
     * refused), a phantom token (never the real key) and a gate token that opens its project.
     */
    @Test
    @Order(1)
    void twentyConcurrentLaunchesAllSucceedFullyWired() throws Exception {
        List<Callable<Terok.Result>> launches = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
            int n = i;
            launches.add(() -> terok.run("run", "-d", "--name", taskName(n), "--project", project(n % PROJECTS),
                    "--provider", "anthropic", "localhost/terok-agent:latest", "sleep", "3600"));
        }
        long start = System.nanoTime();
        List<Terok.Result> results = allAtOnce(launches);
        double wall = seconds(start);
        memory.mark("after 20 launches");
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
            if (results.get(i).exitCode() != 0) {
                failed.add(taskName(i) + ": exit " + results.get(i).exitCode() + ": " + results.get(i).err());
            }
        }
        assertEquals(List.of(), failed, "every concurrent launch succeeds");
        report.add(String.format("load: %d concurrent launches of filtered tasks with tokens in %.1f s: %.2f launches/s",
                TASKS, wall, TASKS / wall));

        for (int i = 0; i < TASKS; i++) {
            String name = taskName(i);
            String[] f = podman(30, "inspect", "--format",
                    "{{index .Config.Labels \"io.terok.task\"}} {{.State.Pid}} {{.NetworkSettings.SandboxKey}} {{.State.Status}}",
                    name).out().strip().split(" ");
            assertEquals(4, f.length, name + ": " + String.join(" ", f));
            assertEquals("running", f[3], name);
            String tables = Cmd.run("nsenter", "-t", f[1], "-n", "nft", "list", "tables").out();
            assertTrue(tables.contains("terok_shield"), name + " runs with its firewall: " + tables);
            tasks.put(name, new Task(name, f[0], i % PROJECTS, f[1], f[2], null));
        }
        String blocked = "http://" + internet.ip(3) + "/";
        List<Callable<Cmd.Output>> checks = new ArrayList<>();
        for (Task t : tasks.values()) {
            checks.add(() -> inTask(t.name(), "printf 'PHANTOM=%s\\n' \"$ANTHROPIC_API_KEY\";"
                    + " if curl -sS -m 3 -o /dev/null " + blocked + " 2>/dev/null; then echo PROBE=open; else echo PROBE=refused; fi;"
                    + " git ls-remote \"$TEROK_GATE_URL\" 2>&1 | grep -c refs/heads/main | sed 's/^/GATE=/'", 60));
        }
        List<Cmd.Output> seen = allAtOnce(checks);
        int k = 0;
        for (Task t : List.copyOf(tasks.values())) {
            String out = seen.get(k++).out();
            assertTrue(out.contains("PROBE=refused"), t.name() + ": its firewall refuses the fake internet: " + out);
            assertTrue(out.contains("GATE=1"), t.name() + ": its gate token opens its project: " + out);
            Matcher m = Pattern.compile("PHANTOM=(\\S+)").matcher(out);
            assertTrue(m.find(), t.name() + " has a phantom token: " + out);
            assertNotEquals(REAL_KEY, m.group(1), t.name());
            assertFalse(out.contains(REAL_KEY), t.name() + " never holds the real key");
            tasks.put(t.name(), new Task(t.name(), t.id(), t.project(), t.pid(), t.netns(), m.group(1)));
        }
        assertEquals(TASKS, tasks.values().stream().map(Task::phantom).distinct().count(), "a phantom token per task");
    }

    /**
     * 50 concurrent clones, commits and pushes through the gate, 5 from each of 10 tasks (real git in the
     * containers): every push succeeds and lands as exactly the pushed commit, every repository passes `git fsck`, and
     * no task can read or push another project's repository.
     */
    @Test
    @Order(2)
    void fiftyConcurrentPushesFromTenTasksAllLand() throws Exception {
        List<Callable<Cmd.Output>> jobs = new ArrayList<>();
        for (int i = 0; i < PROJECTS; i++) {
            String name = taskName(i);
            StringBuilder script = new StringBuilder("pids=''; ");
            for (int j = 0; j < PUSHES_PER_TASK; j++) {
                String branch = "load-" + i + "-" + j;
                script.append("( set -e; d=/tmp/w").append(j).append("; git clone -q \"$TEROK_GATE_URL\" $d; cd $d;"
                        + " echo '").append(branch).append("' > load.txt; git add load.txt;"
                        + " git -c user.name=Load -c user.email=load@example.invalid commit -q -m '").append(branch).append("';"
                        + " git push -q origin HEAD:refs/heads/").append(branch).append(";"
                        + " echo PUSHED ").append(branch).append(" $(git rev-parse HEAD) ) > /tmp/push").append(j)
                        .append(".log 2>&1 & pids=\"$pids $!\"; ");
            }
            script.append("rc=0; for p in $pids; do wait $p || rc=1; done; cat /tmp/push*.log; exit $rc");
            jobs.add(() -> inTask(name, script.toString(), 240));
        }
        long start = System.nanoTime();
        List<Cmd.Output> results = allAtOnce(jobs);
        double wall = seconds(start);
        memory.mark("after 50 pushes");
        Map<String, String> pushed = new TreeMap<>();
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < PROJECTS; i++) {
            Cmd.Output r = results.get(i);
            if (r.code() != 0) {
                failed.add(taskName(i) + ": exit " + r.code() + ": " + r.out() + r.err());
            }
            Matcher m = Pattern.compile("PUSHED (\\S+) ([0-9a-f]{40})").matcher(r.out());
            while (m.find()) {
                pushed.put(m.group(1), m.group(2));
            }
        }
        assertEquals(List.of(), failed, "every clone and push succeeds");
        assertEquals(PROJECTS * PUSHES_PER_TASK, pushed.size(), "every push reported its commit: " + pushed);
        int total = PROJECTS * PUSHES_PER_TASK;
        report.add(String.format("load: %d concurrent clones+commits+pushes from %d tasks in %.1f s: %.2f pushes/s",
                total, PROJECTS, wall, total / wall));

        for (int i = 0; i < PROJECTS; i++) {
            Path mirror = terok.home.resolve("data/gate/" + project(i) + ".git");
            Map<String, String> branches = new TreeMap<>();
            for (String line : Cmd.run("git", "--git-dir", mirror.toString(), "for-each-ref", "--format=%(refname:short) %(objectname)",
                    "refs/heads/").out().lines().toList()) {
                String[] f = line.split(" ");
                branches.put(f[0], f[1]);
            }
            Map<String, String> expected = new TreeMap<>();
            for (int j = 0; j < PUSHES_PER_TASK; j++) {
                String branch = "load-" + i + "-" + j;
                expected.put(branch, pushed.get(branch));
            }
            branches.remove("main");
            assertEquals(expected, branches, project(i) + " holds exactly its task's pushed commits, nothing of another's");
            Cmd.Result fsck = Cmd.run("git", "--git-dir", mirror.toString(), "fsck", "--no-dangling");
            assertEquals(0, fsck.code(), project(i) + " is whole: " + fsck.out());
        }

        // Isolation: each pushing task tries the next project's repository with its own token, to read and to push.
        List<Callable<Cmd.Output>> trespass = new ArrayList<>();
        for (int i = 0; i < PROJECTS; i++) {
            String other = project((i + 1) % PROJECTS);
            String branch = "trespass-" + i;
            String name = taskName(i);
            trespass.add(() -> inTask(name, "u=$(printf %s \"$TEROK_GATE_URL\" | sed 's#/[^/]*\\.git$#/" + other + ".git#');"
                    + " if git ls-remote \"$u\" >/tmp/ls.out 2>&1; then echo READ=yes; cat /tmp/ls.out; else echo READ=refused; fi;"
                    + " cd /tmp/w0 && if git push -q \"$u\" HEAD:refs/heads/" + branch + " >/tmp/push.out 2>&1;"
                    + " then echo PUSH=yes; else echo PUSH=refused; cat /tmp/push.out; fi", 60));
        }
        List<Cmd.Output> attempts = allAtOnce(trespass);
        for (int i = 0; i < PROJECTS; i++) {
            String out = attempts.get(i).out();
            assertTrue(out.contains("READ=refused") && out.contains("PUSH=refused"), taskName(i)
                    + " can neither read nor push another project's repository: " + out);
            Path mirror = terok.home.resolve("data/gate/" + project((i + 1) % PROJECTS) + ".git");
            assertEquals("", Cmd.run("git", "--git-dir", mirror.toString(), "for-each-ref", "refs/heads/trespass-*").out().strip());
        }
    }

    /**
     * 200 concurrent server-sent-event streams through the broker with the tasks' phantom tokens: 180 from the host
     * at the broker's loopback port, one from inside each of the 20 tasks. Every stream is whole and in order, and
     * the provider saw the real key on every request, never a phantom token.
     */
    @Test
    @Order(3)
    void twoHundredConcurrentStreamsAreCompleteAndInOrder() throws Exception {
        List<Task> all = List.copyOf(tasks.values());
        assertEquals(TASKS, all.size(), "the launches ran first");
        URI uri = URI.create("http://127.0.0.1:" + terok.env.get("TEROK_VAULT_BROKER_PORT") + "/v1/messages");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build();
        providerSaw.clear();
        List<Callable<String>> streams = new ArrayList<>();
        AtomicInteger hostStreams = new AtomicInteger();
        List<Double> hostStreamSeconds = new CopyOnWriteArrayList<>();
        for (int s = 0; s < STREAMS - TASKS; s++) {
            Task t = all.get(s % TASKS);
            streams.add(() -> {
                hostStreams.incrementAndGet();
                long began = System.nanoTime();
                HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120)).header("x-api-key", t.phantom())
                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).build();
                HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
                StringBuilder body = new StringBuilder("HTTP " + r.statusCode() + "\n");
                try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        body.append(line).append('\n');
                    }
                }
                hostStreamSeconds.add(seconds(began));
                return body.toString();
            });
        }
        for (Task t : all) {
            streams.add(() -> {
                Cmd.Output o = inTask(t.name(), "curl -sS -N -m 120 -o - -w 'HTTPCODE=%{http_code}\\n' -H \"x-api-key: $ANTHROPIC_API_KEY\""
                        + " -H 'content-type: application/json' -d '{\"stream\":true}' \"$ANTHROPIC_BASE_URL/v1/messages\"", 180);
                Matcher m = Pattern.compile("HTTPCODE=(\\d+)").matcher(o.out());
                return "HTTP " + (m.find() ? m.group(1) : "none (exit " + o.code() + ": " + o.err() + ")") + "\n"
                        + o.out().replaceAll("HTTPCODE=\\d+\\n?", "");
            });
        }
        long start = System.nanoTime();
        List<String> bodies = allAtOnce(streams);
        double wall = seconds(start);
        memory.mark("after 200 streams");
        StringBuilder expected = new StringBuilder("HTTP 200\n");
        for (int i = 0; i < EVENTS; i++) {
            expected.append("data: {\"n\":").append(i).append("}\n\n");
        }
        expected.append("data: [DONE]\n\n");
        List<String> broken = new ArrayList<>();
        for (int s = 0; s < bodies.size(); s++) {
            String b = bodies.get(s);
            String trimmed = b.stripTrailing() + "\n\n";
            if (!trimmed.equals(expected.toString())) {
                broken.add("stream " + s + (s >= STREAMS - TASKS ? " (in a task)" : " (host)") + ": " + b);
            }
            assertFalse(b.contains(REAL_KEY), "the real key never reaches a client");
        }
        assertEquals(List.of(), broken.subList(0, Math.min(5, broken.size())), broken.size() + " of " + STREAMS
                + " streams were not complete and in order (first five shown)");
        assertEquals(STREAMS, providerSaw.size(), "the provider answered every stream once");
        assertEquals(List.of(REAL_KEY), providerSaw.stream().distinct().toList(), "the provider saw only the real key");
        report.add(String.format("load: %d concurrent SSE streams (%d events, %d ms apart; %d from the host, %d from tasks)"
                + " in %.1f s: %.1f streams/s", STREAMS, EVENTS, EVENT_GAP_MS, hostStreams.get(), TASKS, wall, STREAMS / wall));
        List<Double> sorted = hostStreamSeconds.stream().sorted().toList();
        report.add(String.format("load: one host stream took %.2f s at the median, %.2f s at most (%.2f s of events at the"
                + " provider); the streams from tasks include a podman exec each", sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() - 1), EVENTS * EVENT_GAP_MS / 1000.0));
    }

    /**
     * The 20 tasks removed at once: nothing of any is left, neither container, network namespace, DNS forwarder,
     * phantom token, gate token, shield state nor task record.
     */
    @Test
    @Order(4)
    void twentyConcurrentRemovalsLeaveNothing() throws Exception {
        List<Task> all = List.copyOf(tasks.values());
        assertEquals(TASKS, all.size(), "the launches ran first");
        Map<String, String> dnsmasq = new ConcurrentHashMap<>();
        for (Task t : all) {
            Path pidFile = terok.home.resolve("state/shield/" + t.id() + "/dnsmasq.pid");
            assertTrue(Files.exists(pidFile), t.name() + " has its DNS forwarder");
            dnsmasq.put(t.name(), Files.readString(pidFile).strip().split("\\s+")[0]);
        }
        List<Callable<Terok.Result>> removals = new ArrayList<>();
        for (Task t : all) {
            removals.add(() -> terok.run("rm", "-f", t.name()));
        }
        long start = System.nanoTime();
        List<Terok.Result> results = allAtOnce(removals);
        double wall = seconds(start);
        memory.mark("after 20 removals");
        for (int i = 0; i < all.size(); i++) {
            assertEquals(0, results.get(i).exitCode(), all.get(i).name() + ": " + results.get(i).err());
        }
        report.add(String.format("load: %d concurrent removals in %.1f s", TASKS, wall));
        String gateTokens = Files.exists(terok.home.resolve("data/gate/tokens.json"))
                ? Files.readString(terok.home.resolve("data/gate/tokens.json")) : "";
        ManagedChannel vault = UnixChannels.open(terok.runtimeDir().resolve("vault.sock"));
        try {
            for (Task t : all) {
                assertEquals("", podman(30, "ps", "-a", "-q", "--filter", "label=io.terok.task=" + t.id()).out().strip(),
                        t.name() + ": no container");
                assertFalse(t.netns().isBlank() || Files.exists(Path.of(t.netns())), t.name() + ": its netns is gone: " + t.netns());
                assertFalse(Files.exists(Path.of("/proc/" + t.pid())) && Files.readString(Path.of("/proc/" + t.pid() + "/cmdline"))
                        .startsWith("sleep"), t.name() + ": its process is gone");
                String dns = dnsmasq.get(t.name());
                assertFalse(Files.exists(Path.of("/proc/" + dns)) && Files.readString(Path.of("/proc/" + dns + "/cmdline"))
                        .contains(t.id()), t.name() + ": its DNS forwarder is gone");
                assertFalse(Files.exists(terok.home.resolve("state/shield/" + t.id())), t.name() + ": no shield state");
                assertFalse(Files.exists(terok.home.resolve("data/runtime/tasks/" + t.id() + ".json")), t.name() + ": no record");
                assertFalse(gateTokens.contains(t.id()), t.name() + ": no gate token");
                assertEquals(0, VaultServiceGrpc.newBlockingStub(vault).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .listTokens(ListTokensRequest.newBuilder().setTaskId(t.id()).build()).getTokensCount(),
                        t.name() + ": no phantom token");
            }
        } finally {
            vault.shutdownNow();
        }
        String hostTables = Cmd.run("nft", "list", "tables").out();
        for (Task t : all) {
            assertFalse(hostTables.contains(t.id().substring(0, 12)), t.name() + ": no nft table of it on the host: " + hostTables);
        }
        memory.stop();
        report.addAll(memory.summary());
    }

    /**
     * The services' resident memory (VmRSS of the pids in their pid files), sampled every 200 ms while the load runs:
     * each one's peak, and the five together at each marked moment and at their common peak.
     */
    static final class MemorySampler {
        private final Map<String, Long> peakKb = new ConcurrentHashMap<>();
        private final List<String> marks = new CopyOnWriteArrayList<>();
        private volatile long peakTotalKb;
        private volatile Path pids;
        private volatile Thread thread;

        void start(Path pidDir) {
            pids = pidDir;
            thread = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    long total = sample().values().stream().mapToLong(Long::longValue).sum();
                    peakTotalKb = Math.max(peakTotalKb, total);
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "load-memory-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        Map<String, Long> sample() {
            Map<String, Long> now = new TreeMap<>();
            try (var files = Files.list(pids)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
                    String service = f.getFileName().toString().replace(".pid", "");
                    String pid = Files.readString(f).strip();
                    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                        if (line.startsWith("VmRSS:")) {
                            long kb = Long.parseLong(line.replaceAll("\\D", ""));
                            now.put(service, kb);
                            peakKb.merge(service, kb, Math::max);
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // a service between restarts, or not yet written: the next sample reads it
            }
            return now;
        }

        void mark(String when) {
            Map<String, Long> now = sample();
            marks.add(String.format("load: RSS %s: %d MiB together %s", when,
                    now.values().stream().mapToLong(Long::longValue).sum() / 1024, mib(now)));
        }

        void stop() {
            if (thread != null) {
                thread.interrupt();
            }
        }

        List<String> summary() {
            List<String> lines = new ArrayList<>(marks);
            lines.add(String.format("load: RSS peak: %d MiB together (sampled every 200 ms), each service's peak %s",
                    peakTotalKb / 1024, mib(peakKb)));
            return lines;
        }

        private static String mib(Map<String, Long> kb) {
            StringBuilder s = new StringBuilder("(");
            new TreeMap<>(kb).forEach((k, v) -> s.append(s.length() > 1 ? ", " : "").append(k).append(' ').append(v / 1024));
            return s.append(" MiB)").toString();
        }
    }
}
