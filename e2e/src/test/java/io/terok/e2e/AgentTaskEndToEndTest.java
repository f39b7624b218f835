package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.scriptedmodel.RecordedRequest;
import io.terok.scriptedmodel.Script;
import io.terok.scriptedmodel.ScriptedModelServer;
import io.terok.scriptedmodel.Step;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivateInstallation;
import io.terok.testsupport.PrivatePodman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * `terok task run` headless with the real agents (Claude Code, Codex) built into a project's image, every service
 * wired (phantom tokens through the broker, the gate, shield's firewall through the OCI hook, clearance), the provider
 * replaced by the scripted model server on the host's loopback behind the broker. One project, one image, one set of
 * services for the class.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentTaskEndToEndTest {
    /** This class's own project ({@link Terok#projectName}): its L2 image is its own to build and remove. */
    static final String PROJECT = Terok.projectName("agenttest");
    static final String BASE = "localhost/terok-agent-base:bookworm";
    static final String ANTHROPIC_KEY = "sk-ant-REAL-agent-task-e2e";
    static final String OPENAI_KEY = "sk-openai-REAL-agent-task-e2e";
    static Terok terok;
    static Path upstream;
    static PrivateInstallation installation;
    static PrivatePodman podman;
    static FakeInternet internet;
    static ScriptedModelServer claudeModel;
    static ScriptedModelServer codexModel;
    static final String EDIT = "echo from-the-agent > agent.txt && git add agent.txt && git commit -q -m 'agent: add agent.txt' && git push -q origin HEAD";

    @BeforeAll
    static void up() throws Exception {
        claudeModel = ScriptedModelServer.start(Script.of(Step.shell(EDIT), Step.text("I added agent.txt and pushed it.")));
        codexModel = ScriptedModelServer.start(Script.of(Step.shell(EDIT), Step.text("Codex added agent.txt.")));
        installation = Terok.install("agenttask", FakeInternet.spec("tat").addresses(2, 3)).withStagedAgents();
        terok = new Terok(installation);
        internet = installation.internet();
        podman = installation.podman();
        installation.configWithVault("e2e-agent-task-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: " + claudeModel.baseUrl(),
                "      openai:",
                "        upstream: " + codexModel.baseUrl(),
                "git:",
                "  human_name: Task Tester",
                "  human_email: tester@example.com");
        installation.start();
        terok.runWithInput(ANTHROPIC_KEY, "vault", "add", "anthropic").ok();
        terok.runWithInput(OPENAI_KEY, "vault", "add", "openai").ok();
        upstream = terok.seedUpstream();
        terok.run("project", "init", PROJECT, "--upstream", "file://" + upstream, "--agents", "claude,codex",
                "--agent", "claude", "--base-image", BASE).ok();
    }

    @AfterAll
    static void down() throws Exception {
        if (installation != null) {
            terok.deleteProjectAndTasks(PROJECT);
            installation.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {claudeModel, codexModel}) {
            if (c != null) {
                c.close();
            }
        }
    }

    static String taskId(Terok.Result r) {
        Matcher m = Pattern.compile("== task ([0-9a-f]{32}) ").matcher(r.out());
        assertTrue(m.find(), r.out() + r.err());
        return m.group(1);
    }

    static Path gateRepo() {
        return terok.home.resolve("data/gate/" + PROJECT + ".git");
    }

    void headlessRunPushesToItsBranchOnly(String agent, ScriptedModelServer model, String realKey, String answer) {
        Terok.Result r = terok.run("task", "run", PROJECT, "Add agent.txt, commit and push it.", "--agent", agent);
        assertEquals(0, r.exitCode(), r.out() + "\n" + r.err());
        String id = taskId(r);
        String branch = "terok/" + id;
        assertTrue(r.out().contains(": done"), r.out());
        assertTrue(r.out().contains(answer), "the last answer is printed: " + r.out());
        String pushed = terok.git(gateRepo(), "rev-parse", "refs/heads/" + branch);
        assertTrue(r.out().contains(pushed.substring(0, 12) + "  agent: add agent.txt"), "the summary lists the commit: " + r.out());
        assertEquals("from-the-agent\n", terok.git(gateRepo(), "show", pushed + ":agent.txt") + "\n");
        assertEquals("Task Tester <tester@example.com>", terok.git(gateRepo(), "log", "-1", "--format=%an <%ae>", pushed),
                "the identity from config.yaml");
        assertEquals("", terok.git(upstream, "for-each-ref", "refs/heads/" + branch), "the upstream is untouched");
        // The provider saw the real key (the broker swapped it in); the container only ever held a phantom.
        assertTrue(model.requests().stream().anyMatch(q -> String.valueOf(q.header(agent.equals("claude") ? "x-api-key" : "authorization")).contains(realKey)));
        Terok.Result env = terok.run("exec", id, "env").ok();
        assertFalse(env.out().contains(realKey), "no real key in the task's environment");
        assertTrue(terok.run("task", "logs", PROJECT, id).ok().out().contains(answer), "the output is kept");
    }

    @Test
    @Order(1)
    void claudeRunsHeadlessAndItsCommitIsReviewedAndForwarded() {
        headlessRunPushesToItsBranchOnly("claude", claudeModel, ANTHROPIC_KEY, "I added agent.txt and pushed it.");
        String id = taskId(terok.run("task", "show", PROJECT, terok.run("task", "list", PROJECT).ok().out().lines()
                .skip(1).findFirst().orElseThrow().split("\\s+")[1]).ok());
        String pushed = terok.git(gateRepo(), "rev-parse", "refs/heads/terok/" + id);
        Terok.Result review = terok.run("task", "review", PROJECT, id.substring(0, 10)).ok();
        assertTrue(review.out().contains("at commit " + pushed), review.out());
        assertTrue(review.out().contains("+from-the-agent"), review.out());
        Terok.Result fwd = terok.run("task", "forward", PROJECT, id, "--commit", pushed).ok();
        assertTrue(fwd.out().contains("forwarded " + pushed), fwd.out());
        assertEquals(pushed, terok.git(upstream, "rev-parse", "refs/heads/terok/" + id), "exactly the reviewed commit upstream");
    }

    @Test
    @Order(2)
    void codexRunsHeadless() {
        headlessRunPushesToItsBranchOnly("codex", codexModel, OPENAI_KEY, "Codex added agent.txt.");
    }

    /** The anthropic route's upstream is fixed for the class: another script is served on the same port. */
    static void serveClaude(Script script) throws Exception {
        int port = java.net.URI.create(claudeModel.baseUrl()).getPort();
        claudeModel.close();
        claudeModel = ScriptedModelServer.start(script, "127.0.0.1", port);
    }

    @Test
    @Order(3)
    void aFollowupContinuesTheSameSession() throws Exception {
        serveClaude(Script.of(Step.text("hello from the scripted model")));
        Terok.Result r = terok.run("task", "run", PROJECT, "Say hello, first prompt.", "--name", "chatty");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        String branchBefore = terok.run("task", "show", PROJECT, "chatty").ok().out();
        Terok.Result f = terok.run("task", "followup", PROJECT, "chatty", "And now goodbye, second prompt.");
        assertEquals(0, f.exitCode(), f.out() + f.err());
        RecordedRequest last = claudeModel.requests().stream().filter(q -> q.body().contains("second prompt")).reduce((x, y) -> y)
                .orElseThrow(() -> new AssertionError("the follow-up reached the model"));
        assertTrue(last.body().contains("first prompt") && last.body().contains("hello from the scripted model"),
                "the follow-up request carries the first exchange");
        assertTrue(branchBefore.contains("branch terok/"), branchBefore);
        assertTrue(terok.run("task", "show", PROJECT, "chatty").ok().out().contains("2 run(s)"));
    }

    @Test
    @Order(4)
    void aTimeoutStopsTheAgentAndSaysSo() throws Exception {
        serveClaude(Script.of(Step.hang()));
        long t0 = System.nanoTime();
        Terok.Result r = terok.run("task", "run", PROJECT, "Wait.", "--agent", "claude", "--timeout", "5", "--name", "slowpoke");
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertNotEquals(0, r.exitCode(), r.out());
        assertTrue(r.out().contains(": timed out"), r.out());
        assertTrue(r.err().contains("timed out after 5 s"), r.err());
        assertTrue(seconds < 60, "stopped at the timeout, not later: " + seconds + " s");
        Terok.Result show = terok.run("task", "show", PROJECT, "slowpoke").ok();
        assertFalse(show.out().contains("container running"), "nothing left running: " + show.out());
        serveClaude(Script.of(Step.shell(EDIT), Step.text("I added agent.txt and pushed it.")));
    }

    @Test
    @Order(6)
    void twoTasksOfOneProjectRunAtOnceEachOnItsOwn() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var a = pool.submit(() -> terok.run("task", "run", PROJECT, "Add agent.txt, commit and push it.", "--name", "twin-a"));
            var b = pool.submit(() -> terok.run("task", "run", PROJECT, "Add agent.txt, commit and push it.", "--name", "twin-b"));
            Terok.Result ra = a.get(5, TimeUnit.MINUTES);
            Terok.Result rb = b.get(5, TimeUnit.MINUTES);
            assertEquals(0, ra.exitCode(), ra.out() + ra.err());
            assertEquals(0, rb.exitCode(), rb.out() + rb.err());
            String ida = taskId(ra);
            String idb = taskId(rb);
            assertNotEquals(ida, idb);
            // Each pushed to its own branch (the same script and second may well give both the same commit id).
            String ca = terok.git(gateRepo(), "rev-parse", "refs/heads/terok/" + ida);
            String cb = terok.git(gateRepo(), "rev-parse", "refs/heads/terok/" + idb);
            assertEquals("from-the-agent", terok.git(gateRepo(), "show", ca + ":agent.txt"));
            assertEquals("from-the-agent", terok.git(gateRepo(), "show", cb + ":agent.txt"));
            // Each has its own phantom token (the broker maps each to its task) and its own agent configuration.
            String tokenA = terok.run("exec", ida, "printenv", "ANTHROPIC_API_KEY").ok().out().strip();
            String tokenB = terok.run("exec", idb, "printenv", "ANTHROPIC_API_KEY").ok().out().strip();
            assertNotEquals(tokenA, tokenB);
            Path cfgA = terok.home.resolve("data-tasks").resolve(ida).resolve("home/.claude");
            Path cfgB = terok.home.resolve("data-tasks").resolve(idb).resolve("home/.claude");
            assertTrue(Files.isDirectory(cfgA) && Files.isDirectory(cfgB));
            assertNotEquals(cfgA.toRealPath(), cfgB.toRealPath());
            // One task's workspace only has its own branch checked out.
            assertEquals("terok/" + ida, terok.run("exec", ida, "git", "-C", "/workspace", "branch", "--show-current").ok().out().strip());
            // Delete keeps the branch for review; --purge removes it.
            terok.run("task", "delete", PROJECT, "twin-a").ok();
            assertEquals(ca, terok.git(gateRepo(), "rev-parse", "refs/heads/terok/" + ida), "the branch stays for review");
            assertFalse(Files.exists(terok.home.resolve("data-tasks").resolve(ida)), "its agent configuration is gone");
            assertNotEquals(0, terok.run("exec", ida, "true").exitCode(), "its container is gone");
            terok.run("task", "delete", "--purge", PROJECT, "twin-b").ok();
            assertEquals("", terok.git(gateRepo(), "for-each-ref", "refs/heads/terok/" + idb), "--purge deletes the branch");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(5)
    void badInputIsRefusedNamingTheFieldAndLeavesNothing() {
        int tasksBefore = terok.run("task", "list").ok().out().lines().toList().size();
        String[][] cases = {
            {"no project nosuch", "task", "run", "nosuch", "hi"},
            {"agent:", "task", "run", PROJECT, "hi", "--agent", "gemini"},
            {"provider:", "task", "run", PROJECT, "hi", "--provider", "openai"},
            {"name:", "task", "run", PROJECT, "hi", "--name", "Bad Name"},
            {"branch:", "task", "run", PROJECT, "hi", "--branch", "main"},
            // Without a prompt it is interactive, and the test has no terminal.
            {"PROMPT", "task", "run", PROJECT},
            {"no task", "task", "show", PROJECT, "nosuchtask"},
            {"no task", "task", "followup", PROJECT, "nosuchtask", "hi"},
            {"no task", "task", "delete", PROJECT, "nosuchtask"},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            Terok.Result r = terok.run(args);
            assertNotEquals(0, r.exitCode(), String.join(" ", args));
            assertTrue(r.err().contains(c[0]), String.join(" ", args) + ": " + r.err());
        }
        assertEquals(tasksBefore, terok.run("task", "list").ok().out().lines().toList().size(), "no task record left");
        assertEquals("", terok.run("ps", "-a", "-q").out().strip().lines().filter(l -> !l.isBlank())
                .filter(l -> terok.run("task", "list").out().contains(l.substring(0, Math.min(12, l.length())))).reduce("", (a, b) -> a)
                .replaceAll(".*", ""), "no stray container");
    }

    /**
     * `terok task run PROJECT` without a prompt puts the operator into Claude Code's own terminal UI in the new task:
     * typed text reaches the agent (and through the broker the model), the model's answer is on the screen; detaching
     * leaves the agent running, and `terok login PROJECT TASK` opens it again.
     */
    @Test
    @Order(7)
    void anInteractiveSessionTalksToTheAgentAndDetachLeavesItRunning() throws Exception {
        serveClaude(Script.of(Step.text("Interactive hello from the scripted model")));
        try (Tmux tmux = new Tmux(terok.home.resolve("tmux"))) {
            Tmux.Session s = tmux.start(terok.commandLine("task", "run", PROJECT, "--agent", "claude", "--name", "talker"), 120, 40);
            // Asked once per task: the phantom token is minted after the agent's configuration is written.
            s.awaitText("Do you want to use this API key", 240);
            s.key("Up");
            s.key("Enter");
            s.awaitText("bypass permissions on", 60);
            s.type("Say hello interactively, please.");
            s.key("Enter");
            s.awaitText("Interactive hello from the scripted model", 90);
            assertTrue(claudeModel.requests().stream().anyMatch(q -> q.body().contains("Say hello interactively, please.")),
                    "the typed prompt reached the model");
            s.key("C-p");
            s.key("C-q");
            assertEquals(0, s.awaitExit(30), s.screen());
            assertTrue(s.screen().contains("detached"), s.screen());
            Terok.Result show = terok.run("task", "show", PROJECT, "talker").ok();
            assertTrue(show.out().contains("container running"), show.out());
            String id = taskId(show);
            assertTrue(terok.run("exec", id, "sh", "-c", "cat /proc/[0-9]*/comm").ok().out().lines().anyMatch(l -> l.equals("claude")),
                    "the detached agent keeps running");

            Tmux.Session again = tmux.start(terok.commandLine("login", PROJECT, "talker"), 120, 40);
            again.awaitText("bypass permissions on", 60);
            assertFalse(again.screen().contains("Do you want to use this API key"), "the answer is kept in the task");
            // terok takes the terminal raw before it asks for the session: a detach typed now is not flow control.
            again.awaitRaw("in the session", 10);
            again.key("C-p");
            again.key("C-q");
            assertEquals(0, again.awaitExit(30), again.screen());
        }
        // The sessions' transcript is kept with the task: `task logs` shows what the agent drew, every control
        // character as '?'. Claude Code places words by cursor column (ESC [ n G) rather than spaces.
        Terok.Result logs = terok.run("task", "logs", PROJECT, "talker").ok();
        assertFalse(logs.out().contains("\u001b"), "no escape byte reaches the operator's terminal from a transcript");
        assertTrue(logs.out().contains("?["), "the agent's terminal escapes are shown defused: " + logs.out());
        String words = String.join("", logs.out().lines().toList()).replaceAll("\\?\\[\\d*[GC]", " ");
        assertTrue(words.contains("Interactive hello from the scripted model"), words);
        Terok.Result noTask = terok.run("login", PROJECT, "nosuchtask");
        assertNotEquals(0, noTask.exitCode());
        assertTrue(noTask.err().contains("no task"), noTask.err());
        Terok.Result noProject = terok.run("login", "nosuch", "talker");
        assertNotEquals(0, noProject.exitCode());
        assertTrue(noProject.err().contains("no project nosuch"), noProject.err());
        // The agent only talked: its branch never reached the gate, so --purge has no branch to delete and still
        // deletes the task.
        Terok.Result purged = terok.run("task", "delete", "--purge", PROJECT, "talker").ok();
        assertTrue(purged.out().contains("never pushed"), purged.out() + purged.err());
        assertNotEquals(0, terok.run("task", "show", PROJECT, "talker").exitCode(), "the task is gone");
    }

    /** `terok sickbay`: checks from inside a healthy task, a revoked one, and a stopped one; and the host summary. */
    @Test
    @Order(8)
    void sickbayChecksFromInsideTheTask() throws Exception {
        serveClaude(Script.of(Step.text("fine")));
        Terok.Result run = terok.run("task", "run", PROJECT, "Say fine.", "--name", "patient");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        String id = taskId(run);
        Terok.Result healthy = terok.run("sickbay", PROJECT, "patient");
        assertEquals(0, healthy.exitCode(), healthy.out() + healthy.err());
        for (String check : List.of("broker", "gate", "firewall", "dns", "agent")) {
            assertTrue(healthy.out().lines().anyMatch(l -> l.startsWith("ok     " + check)), check + ": " + healthy.out());
        }
        assertTrue(healthy.out().contains("phantom token accepted"), healthy.out());
        assertTrue(healthy.out().lines().anyMatch(l -> l.startsWith("ok     agent") && l.contains("2.1.")), "the agent's version: " + healthy.out());
        assertTrue(healthy.out().lines().anyMatch(l -> l.contains("disk") && l.contains("free in /workspace")), healthy.out());

        Terok.Result host = terok.run("sickbay");
        assertTrue(host.out().lines().anyMatch(l -> l.startsWith("ok     runtime")), host.out());
        assertTrue(host.out().lines().anyMatch(l -> l.startsWith("ok     task patient") && l.contains("container running")), host.out());

        terok.run("revoke", id).ok();
        Terok.Result revoked = terok.run("sickbay", PROJECT, "patient");
        assertEquals(1, revoked.exitCode(), revoked.out() + revoked.err());
        assertTrue(revoked.out().lines().anyMatch(l -> l.startsWith("ERROR  broker") && l.contains("terok revoke")), revoked.out());
        assertTrue(revoked.out().lines().anyMatch(l -> l.startsWith("ERROR  gate") && l.contains("->")), revoked.out());
        assertTrue(revoked.out().lines().anyMatch(l -> l.startsWith("ok     firewall")), revoked.out());

        terok.run("task", "stop", PROJECT, "patient").ok();
        Terok.Result stopped = terok.run("sickbay", PROJECT, "patient");
        assertNotEquals(0, stopped.exitCode());
        assertTrue(stopped.err().contains("is not running"), stopped.err());
        assertTrue(terok.run("sickbay").out().lines().anyMatch(l -> l.startsWith("WARN   task patient")), "the host summary says so");
        Terok.Result unknown = terok.run("sickbay", PROJECT, "nosuchtask");
        assertNotEquals(0, unknown.exitCode());
        assertTrue(unknown.err().contains("no task"), unknown.err());
        terok.run("task", "delete", PROJECT, "patient").ok();
    }

    /** A project's shield.allow is opened in each of its tasks' firewalls at launch; another project's tasks stay closed. */
    @Test
    @Order(9)
    void aProjectsShieldAllowIsOpenedAtLaunch() throws Exception {
        serveClaude(Script.of(Step.text("fine"), Step.text("fine")));
        String allowed = internet.ip(3);
        terok.run("project", "init", "opened", "--upstream", "file://" + upstream, "--agents", "claude,codex",
                "--agent", "claude", "--base-image", BASE, "--allow", allowed).ok();
        try {
            Terok.Result open = terok.run("task", "run", "opened", "Say fine.", "--name", "wide");
            assertEquals(0, open.exitCode(), open.out() + open.err());
            assertTrue(open.err().contains("firewall: " + allowed + " allowed"), open.err());
            Terok.Result closed = terok.run("task", "run", PROJECT, "Say fine.", "--name", "narrow");
            assertEquals(0, closed.exitCode(), closed.out() + closed.err());
            String url = "http://" + allowed + "/";
            assertEquals(0, terok.run("exec", taskId(open), "curl", "-sS", "-m", "5", "-o", "/dev/null", url).exitCode(),
                    "the project's shield.allow is open in its task");
            assertNotEquals(0, terok.run("exec", taskId(closed), "curl", "-sS", "-m", "5", "-o", "/dev/null", url).exitCode(),
                    "a task of a project without it stays closed");
        } finally {
            terok.run("task", "delete", "opened", "wide");
            terok.run("task", "delete", PROJECT, "narrow");
            terok.run("project", "delete", "opened");
        }
    }
}
