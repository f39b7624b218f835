package io.terok.bench;

import io.terok.scriptedmodel.RecordedRequest;
import io.terok.scriptedmodel.Script;
import io.terok.scriptedmodel.ScriptedModelServer;
import io.terok.scriptedmodel.Step;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.LoopbackPort;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 13's two figures, each against plain {@code podman run} in the same run, alternating so drift on the machine
 * hits both sides alike:
 * (1) from starting {@code bin/terok task run demo PROMPT} (services up, the project's image cached) to Claude Code's
 * first main request at the provider (the scripted model server, through the vault's broker), vs {@code podman run}
 * of the same image starting Claude Code with the real key and the model server as its base URL;
 * (2) the whole process {@code terok run --rm --project demo --provider anthropic IMAGE true} (firewall, phantom token,
 * gate, clearance) vs {@code podman run --rm IMAGE true}.
 * Usage: AgentTaskBenchmark REPO [RUNS]. As root. Prints Markdown tables.
 */
public final class AgentTaskBenchmark {
    static final String BASE = "localhost/terok-agent-base:bookworm";
    static final String REAL_KEY = "sk-ant-REAL-bench-agent-task";
    /** The run's mark in the prompt: it comes back in every request the agent makes for that run. */
    static final Pattern MARK = Pattern.compile("bench-mark-[a-z]+-\\d+");
    static final Pattern MAX_TOKENS_ONE = Pattern.compile("\"max_tokens\"\\s*:\\s*1\\b");
    static final Pattern TOOLS = Pattern.compile("\"tools\"\\s*:\\s*\\[\\s*\\{");

    final PrivateInstallation inst;
    /** Arrival (System.nanoTime) of the first main request per run mark. */
    final Map<String, Long> firstMain = new ConcurrentHashMap<>();
    /** TEROK_BENCH_PARTS contains "hold" (see {@link #holdForHand}). */
    volatile boolean hold;

    AgentTaskBenchmark(PrivateInstallation inst) {
        this.inst = inst;
        // Private loopback ports: an operator's own terok on this machine holds the defaults.
        inst.env.put("TEROK_GATE_HTTP_PORT", Integer.toString(LoopbackPort.free()));
        inst.env.put("TEROK_VAULT_BROKER_PORT", Integer.toString(LoopbackPort.free()));
        // The CLI as a person runs it: with its spare (test installations run cold by default), unless this run's own
        // environment says TEROK_NO_SPARE.
        if (System.getenv("TEROK_NO_SPARE") == null) {
            inst.env.remove("TEROK_NO_SPARE");
        }
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]).toAbsolutePath().normalize();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        // The task's DNS forwarder asks the fake internet's resolver, never the machine's.
        try (PrivateInstallation inst = PrivateInstallation.create(repo, "task", FakeInternet.spec("tbn").addresses(2, 3))) {
            new AgentTaskBenchmark(inst).run(runs);
        }
    }

    /**
     * What the provider counts as the agent's real work: a Messages request that offers tools and is no token probe
     * (Claude Code's title and quota requests come first and are not what a person waits for).
     */
    static boolean isMain(RecordedRequest r) {
        return "POST".equals(r.method()) && r.path().endsWith("/v1/messages") && TOOLS.matcher(r.body()).find()
                && !MAX_TOKENS_ONE.matcher(r.body()).find();
    }

    void run(int runs) throws Exception {
        ScriptedModelServer model = null;
        boolean project = false;
        try {
            model = ScriptedModelServer.start(Script.of(Step.text("Benchmark answer.")));
            model.onRequest(r -> {
                long at = System.nanoTime();
                Matcher m = MARK.matcher(r.body());
                if (isMain(r) && m.find()) {
                    if (firstMain.putIfAbsent(m.group(), at) == null && hold) {
                        System.out.println("first main request " + m.group() + " at " + System.currentTimeMillis());
                    }
                }
            });
            inst.env.put("TEROK_PROJECTS_STAGE_DIR", System.getenv().getOrDefault("TEROK_AGENTS_STAGE", "/var/cache/terok-ci/agents-stage"));
            inst.config(
                    "terok:",
                    "  vault:",
                    "    kernel-keyring: false",
                    "    passphrase-command: printf %s bench-agent-task-passphrase",
                    "    providers:",
                    "      anthropic:",
                    "        upstream: " + model.baseUrl(),
                    "git:",
                    "  human_name: Bench",
                    "  human_email: bench@example.com");
            inst.start();
            inst.terok(REAL_KEY, "vault", "add", "anthropic");
            Path upstream = inst.seedUpstream();
            project = true;
            inst.terok(null, "project", "init", "demo", "--upstream", "file://" + upstream, "--agents", "claude",
                    "--agent", "claude", "--base-image", BASE);
            Matcher im = Pattern.compile("(?m)^image\\s+(\\S+)  base ").matcher(inst.terok(null, "project", "show", "demo").out());
            if (!im.find()) {
                throw new IllegalStateException("project show names no built image");
            }
            String image = im.group(1);
            // TEROK_BENCH_PARTS=agent or =trivial measures one of the two (default: both).
            String parts = System.getenv().getOrDefault("TEROK_BENCH_PARTS", "agent,trivial");
            hold = parts.contains("hold");
            if (parts.contains("agent")) {
                measureAgentStart(image, model.port(), runs);
            }
            if (parts.contains("trivial")) {
                measureTrivialRun(image, runs);
            }
            if (parts.contains("cli") && System.getenv(OTHER_CLI) != null) {
                measureClients(runs);
            }
            if (hold) {
                holdForHand(image, model.port());
            }
        } finally {
            if (project) {
                for (String line : inst.terok(null, "task", "list").out().lines().skip(1).toList()) {
                    inst.terokQuietly(120, "task", "delete", "demo", line.split("\\s+")[0]);
                }
                inst.terokQuietly(180, "project", "delete", "demo");
            }
            if (model != null) {
                model.close();
            }
        }
    }

    /**
     * TEROK_BENCH_PARTS=hold: keeps the installation up for measurements by hand (a timeline with strace or the JVM's
     * logs): writes {@code <home>/hold.env} (the installation's environment, IMAGE, MODEL_PORT and PODMAN_OPT, the
     * private podman API's {@code --url}, to source), prints the wall clock (epoch ms) of each mark's first main request
     * at the model server, and waits until {@code <home>/hold.release} exists.
     */
    void holdForHand(String image, int modelPort) throws Exception {
        StringBuilder sh = new StringBuilder();
        inst.env.forEach((k, v) -> sh.append("export ").append(k).append("='").append(v.replace("'", "'\\''")).append("'\n"));
        sh.append("IMAGE='").append(image).append("'\nMODEL_PORT=").append(modelPort).append('\n');
        sh.append("PODMAN_OPT='").append(inst.podman().get(1)).append("'\n");
        Path env = inst.repoHome().resolve("hold.env");
        Path release = inst.repoHome().resolve("hold.release");
        java.nio.file.Files.writeString(env, sh);
        System.out.println("holding: source " + env + "; touch " + release + " to end");
        while (!java.nio.file.Files.exists(release)) {
            Thread.sleep(500);
        }
    }

    void measureAgentStart(String image, int modelPort, int runs) {
        List<Double> terokFirst = new ArrayList<>();
        List<Double> terokWhole = new ArrayList<>();
        List<Double> plainFirst = new ArrayList<>();
        List<Double> plainWhole = new ArrayList<>();
        List<String> baseline = null;
        List<Double> otherFirst = new ArrayList<>();
        for (int i = -2; i < runs; i++) {
            List<String> other = otherCli(List.of("task", "run", "demo", "Say hello. bench-mark-other-" + (i + 2)));
            if (other != null) {
                long a0 = System.nanoTime();
                Cmd.Output a = Cmd.exec(other, null, e -> { }, null, 300);
                check(a, "the other checkout's terok task run");
                Matcher aid = Pattern.compile("== task ([0-9a-f]{32}) ").matcher(a.out());
                if (!aid.find()) {
                    throw new IllegalStateException("the other terok task run printed no task id:\n" + a.out() + a.err());
                }
                inst.terok(null, "task", "delete", "demo", aid.group(1));
                if (i >= 0) {
                    otherFirst.add((arrival("bench-mark-other-" + (i + 2)) - a0) / 1e6);
                }
            }
            String mark = "bench-mark-terok-" + (i + 2);
            awaitSpare();
            long t0 = System.nanoTime();
            Cmd.Output r = Cmd.exec(inst.command("task", "run", "demo", "Say hello. " + mark), null, e -> { }, null, 300);
            long t1 = System.nanoTime();
            check(r, "terok task run");
            Matcher id = Pattern.compile("== task ([0-9a-f]{32}) ").matcher(r.out());
            if (!id.find()) {
                throw new IllegalStateException("terok task run printed no task id:\n" + r.out() + r.err());
            }
            inst.terok(null, "task", "delete", "demo", id.group(1));
            String plainMark = "bench-mark-podman-" + (i + 2);
            baseline = baselineAgent(image, modelPort, "Say hello. " + plainMark);
            long p0 = System.nanoTime();
            Cmd.Output p = Cmd.exec(baseline, null, e -> { }, null, 300);
            long p1 = System.nanoTime();
            check(p, "podman run (baseline)");
            if (i >= 0) {
                terokFirst.add((arrival(mark) - t0) / 1e6);
                terokWhole.add((t1 - t0) / 1e6);
                plainFirst.add((arrival(plainMark) - p0) / 1e6);
                plainWhole.add((p1 - p0) / 1e6);
            }
        }
        Stats tf = new Stats(terokFirst);
        Stats pf = new Stats(plainFirst);
        System.out.println("### Agent start: command to Claude Code's first main request at the provider (rootful)");
        System.out.println();
        System.out.println("| what | runs | median ms | p10 ms | p90 ms | max ms |");
        System.out.println("|---|---|---|---|---|---|");
        System.out.println(row(pf, "baseline: `" + String.join(" ", baseline).replace(REAL_KEY, "$KEY") + "` → first request"));
        System.out.println(row(tf, "terok: `terok task run demo \"Say hello. …\"` → first request (through the broker)"));
        if (!otherFirst.isEmpty()) {
            System.out.println(row(new Stats(otherFirst), "the same through the CLI of " + System.getenv(OTHER_CLI)
                    + " (A, interleaved) → first request"));
        }
        System.out.println(row(new Stats(plainWhole), "baseline, whole command (agent answered, container removed)"));
        System.out.println(row(new Stats(terokWhole), "terok, whole command (answered, summary printed)"));
        System.out.println();
        System.out.printf("Added by terok to the first request: %+.1f ms at the median, %+.1f ms at the max%n%n",
                tf.median() - pf.median(), tf.percentile(100) - pf.percentile(100));
    }

    void measureTrivialRun(String image, int runs) {
        List<String> plain = List.of("podman", "run", "--rm", image, "true");
        List<String> wired = List.of("run", "--rm", "--project", "demo", "--provider", "anthropic", image, "true");
        List<Double> terokMs = new ArrayList<>();
        List<Double> plainMs = new ArrayList<>();
        List<Double> otherMs = new ArrayList<>();
        List<String> other = otherCli(wired);
        for (int i = -3; i < runs; i++) {
            if (other != null) {
                long a0 = System.nanoTime();
                check(Cmd.exec(other, null, e -> { }, null, 300), "the other checkout's terok run --rm");
                if (i >= 0) {
                    otherMs.add((System.nanoTime() - a0) / 1e6);
                }
            }
            awaitSpare();
            long t0 = System.nanoTime();
            inst.terok(null, wired.toArray(String[]::new));
            long t1 = System.nanoTime();
            check(Cmd.exec(plain, null, e -> { }, null, 120), "podman run --rm");
            long t2 = System.nanoTime();
            if (i >= 0) {
                terokMs.add((t1 - t0) / 1e6);
                plainMs.add((t2 - t1) / 1e6);
            }
        }
        Stats t = new Stats(terokMs);
        Stats p = new Stats(plainMs);
        System.out.println("### Whole-process trivial run, every service wired (rootful)");
        System.out.println();
        System.out.println("| what | runs | median ms | p10 ms | p90 ms | max ms |");
        System.out.println("|---|---|---|---|---|---|");
        System.out.println(row(p, "baseline: `" + String.join(" ", plain) + "`"));
        System.out.println(row(t, "terok: `terok " + String.join(" ", wired) + "`"));
        if (other != null) {
            System.out.println(row(new Stats(otherMs), "the same through the CLI of " + System.getenv(OTHER_CLI)
                    + " (A, interleaved)"));
        }
        System.out.println();
        System.out.printf("Added by terok: %+.1f ms at the median%n%n", t.median() - p.median());

        // Where the time goes: the same command with one wiring left out at a time, and with none of them.
        List<List<String>> variants = List.of(
                List.of("--no-shield"), List.of("--no-clearance"), List.of("--no-gate"), List.of("--no-vault"),
                List.of("--network", "none", "--no-vault", "--no-gate", "--no-clearance"));
        System.out.println("| variant of `terok run --rm` | runs | median ms | p10 ms | p90 ms | max ms |");
        System.out.println("|---|---|---|---|---|---|");
        for (List<String> optOut : variants) {
            List<String> argv = new ArrayList<>(List.of("run", "--rm"));
            argv.addAll(optOut);
            if (!optOut.contains("--no-gate")) {
                argv.addAll(List.of("--project", "demo"));
            }
            if (!optOut.contains("--no-vault")) {
                argv.addAll(List.of("--provider", "anthropic"));
            }
            argv.addAll(List.of(image, "true"));
            List<Double> ms = new ArrayList<>();
            for (int i = -1; i < Math.max(3, runs / 2); i++) {
                awaitSpare();
                long t0 = System.nanoTime();
                inst.terok(null, argv.toArray(String[]::new));
                if (i >= 0) {
                    ms.add((System.nanoTime() - t0) / 1e6);
                }
            }
            System.out.println(row(new Stats(ms), "`" + String.join(" ", optOut) + "`"));
        }
        System.out.println();
    }

    /**
     * The client alone, A/B: `terok task list` and `terok ps` (one small call each to runtime, a new JVM each) through
     * the other checkout's CLI and this one's, interleaved, three times the runs.
     */
    void measureClients(int runs) {
        System.out.println("### The CLI alone: one small call to runtime (rootful), A/B interleaved");
        System.out.println();
        System.out.println("| what | runs | median ms | p10 ms | p90 ms | max ms |");
        System.out.println("|---|---|---|---|---|---|");
        for (List<String> args : List.of(List.of("task", "list"), List.of("ps"))) {
            List<Double> a = new ArrayList<>();
            List<Double> b = new ArrayList<>();
            List<String> other = otherCli(args);
            for (int i = -2; i < 3 * runs; i++) {
                long t0 = System.nanoTime();
                check(Cmd.exec(other, null, e -> { }, null, 120), "the other checkout's terok " + args);
                awaitSpare();
                long t1 = System.nanoTime();
                inst.terok(null, args.toArray(String[]::new));
                long t2 = System.nanoTime();
                if (i >= 0) {
                    a.add((t1 - t0) / 1e6);
                    b.add((t2 - t1) / 1e6);
                }
            }
            System.out.println(row(new Stats(a), "A (" + System.getenv(OTHER_CLI) + "): `terok " + String.join(" ", args) + "`"));
            System.out.println(row(new Stats(b), "B (this checkout): `terok " + String.join(" ", args) + "`"));
        }
        System.out.println();
    }

    /**
     * This checkout's bin/terok hands each command to a spare CLI process (io.terok.cli.spare.Spare) when one is warm,
     * and starts the next spare as it does; the next warms up once the command has ended (about a second of CPU).
     * A person's commands come seconds apart: so before each measured command this waits (up to 30 s, unmeasured) until
     * the spare is warm. The first call starts one (a cold `terok ps`). Nothing with TEROK_NO_SPARE set.
     */
    void awaitSpare() {
        if (inst.env.containsKey("TEROK_NO_SPARE")) {
            return;
        }
        Path dir = Path.of(inst.env.get("TEROK_RUNTIME_DIR")).resolve("cli-spare");
        if (!java.nio.file.Files.exists(dir.resolve("pid"))) {
            inst.terok(null, "ps");
        }
        long end = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < end) {
            try {
                String pid = java.nio.file.Files.readString(dir.resolve("pid")).strip();
                if (!pid.isEmpty() && pid.equals(java.nio.file.Files.readString(dir.resolve("warm")).strip())) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not (yet) there
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        System.err.println("no warm spare CLI process after 30 s: this command starts cold");
    }

    /** Names another checkout whose built CLI the trivial run interleaves with this one's (an A/B of the client). */
    static final String OTHER_CLI = "TEROK_BENCH_OTHER_CLI";

    /**
     * The trivial run through the other checkout's {@code bin/terok}, against this installation's services, with a
     * state directory of its own (its own class-data archive); null when {@link #OTHER_CLI} is not set.
     */
    List<String> otherCli(List<String> args) {
        String other = System.getenv(OTHER_CLI);
        if (other == null || other.isBlank()) {
            return null;
        }
        List<String> cmd = new ArrayList<>(inst.command(args.toArray(String[]::new)));
        int bin = cmd.indexOf(inst.repoPath().resolve("bin/terok").toString());
        cmd.set(bin, Path.of(other).resolve("bin/terok").toString());
        cmd.add(bin, "TEROK_STATE_DIR=" + inst.repoHome().resolve("state-other-cli"));
        return cmd;
    }

    /**
     * Claude Code started directly, as a person would without terok: the same image, user and headless flags, the real
     * key, the model server on the host's loopback through slirp4netns (10.0.2.2), and a resolver address nothing
     * answers on, so no lookup ever reaches the machine's DNS.
     */
    static List<String> baselineAgent(String image, int modelPort, String prompt) {
        return List.of("podman", "run", "--rm", "--user=1000:1000", "--network=slirp4netns:allow_host_loopback=true",
                "--dns=127.0.0.1", "-e", "ANTHROPIC_API_KEY=" + REAL_KEY,
                "-e", "ANTHROPIC_BASE_URL=http://10.0.2.2:" + modelPort,
                "-e", "DISABLE_TELEMETRY=1", "-e", "DISABLE_ERROR_REPORTING=1", "-e", "DISABLE_AUTOUPDATER=1",
                "-e", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
                image, "claude", "-p", prompt, "--dangerously-skip-permissions");
    }

    long arrival(String mark) {
        Long at = firstMain.get(mark);
        if (at == null) {
            throw new IllegalStateException("no main request carrying " + mark + " reached the model server");
        }
        return at;
    }

    static String row(Stats s, String name) {
        return String.format("| %s | %d | %.1f | %.1f | %.1f | %.1f |", name, s.samples().size(), s.median(),
                s.percentile(10), s.percentile(90), s.percentile(100));
    }

    static void check(Cmd.Output o, String what) {
        if (o.code() != 0) {
            throw new IllegalStateException(what + " exited " + o.code() + "\nstdout: " + o.out() + "\nstderr: " + o.err());
        }
    }
}
