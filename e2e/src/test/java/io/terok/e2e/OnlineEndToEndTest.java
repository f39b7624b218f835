package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.scriptedmodel.Script;
import io.terok.scriptedmodel.ScriptedModelServer;
import io.terok.scriptedmodel.Step;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivateInstallation;
import io.terok.testsupport.PrivatePodman;
import io.terok.testsupport.TestSshd;
import io.terok.testsupport.browser.Browser;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;

/**
 * A project in online mode (issue 13): its upstream is a real git server over ssh on the fake internet (the test's own
 * sshd on the host end of the fake internet's veth, which a task's firewall may open: it never opens the host's
 * loopback). Claude Code, run headless by `terok task run` with the scripted provider, commits and pushes to origin,
 * which is the upstream: the commit lands on the upstream's task branch directly, signed by the vault's SSH agent (the
 * key never enters the container), terok commits and pushes the work the agent left, the gate holds a copy of the
 * branch, and the task's firewall still refuses another host of the fake internet. The same project in gatekeeping
 * mode not reaching upstream is AgentTaskEndToEndTest's. Same base and agents as that class: the L0/L1 layers are
 * shared.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OnlineEndToEndTest {
    static final String BASE = "localhost/terok-agent-base:bookworm";
    static final String ANTHROPIC_KEY = "sk-ant-REAL-online-e2e";
    static final String EDIT = "echo from-the-agent > agent.txt && git add agent.txt && git commit -q -m 'agent: add agent.txt' "
            + "&& git push -q origin HEAD && echo left-over > leftover.txt";
    static Terok terok;
    static PrivateInstallation installation;
    static PrivatePodman podman;
    static FakeInternet internet;
    static ScriptedModelServer model;
    static TestSshd sshd;
    static Path upstream;
    /** The online task the first test ran (the console's test looks at it). */
    static String onlineTask;

    @BeforeAll
    static void up() throws Exception {
        Cmd.require(List.of("/usr/sbin/sshd", "ssh-keygen", "git", "git-shell"));
        model = ScriptedModelServer.start(Script.of(Step.shell(EDIT), Step.text("I added agent.txt and pushed it upstream.")));
        installation = Terok.install("online", FakeInternet.spec("onl").addresses(2, 3)).withStagedAgents();
        terok = new Terok(installation);
        internet = installation.internet();
        podman = installation.podman();
        sshd = TestSshd.start(terok.home.resolve("sshd"), internet.hostIp());
        upstream = sshd.repository("online");
        installation.configWithVault("e2e-online-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: " + model.baseUrl(),
                "git:",
                "  human_name: Online Tester",
                "  human_email: online@example.com");
        installation.start();
        terok.runWithInput(ANTHROPIC_KEY, "vault", "add", "anthropic").ok();
    }

    @AfterAll
    static void down() throws Exception {
        if (installation != null) {
            terok.deleteProjectAndTasks("web");
        }
        // the sshd before the installation: it lives in the installation's directory, on its fake internet
        for (AutoCloseable c : new AutoCloseable[] {sshd, installation, model}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** The public line printed under {@code heading} by `project init|show`. */
    static String keyAfter(String out, String heading) {
        List<String> lines = out.lines().toList();
        for (int i = 0; i < lines.size() - 1; i++) {
            if (lines.get(i).startsWith(heading)) {
                return lines.get(i + 1).strip();
            }
        }
        throw new AssertionError("no '" + heading + "' in: " + out);
    }

    @Test
    @Order(1)
    void theAgentPushesToTheUpstreamItselfThroughTheVaultsAgentAndNothingElseOpens() throws Exception {
        String url = sshd.url(upstream);
        Terok.Result init = terok.run("project", "init", "web", "--upstream", url, "--online", "--agents", "claude,codex",
                "--agent", "claude", "--base-image", BASE);
        assertEquals(0, init.exitCode(), init.out() + init.err());
        assertTrue(init.out().contains("security  online"), init.out());
        String gateKey = keyAfter(init.out(), "deploy key");
        String taskKey = keyAfter(init.out(), "task key");
        assertNotEquals(gateKey, taskKey, "the tasks sign with a key of their own, never the gate's");
        // The operator adds both as deploy keys upstream; the gate's first sync pins the upstream's host key.
        sshd.authorize(gateKey);
        sshd.authorize(taskKey);
        terok.run("gate", "sync", "web").ok();

        Terok.Result r = terok.run("task", "run", "web", "Add agent.txt, commit and push it.");
        assertEquals(0, r.exitCode(), r.out() + "\n" + r.err() + "\nsshd: " + sshd.log());
        Matcher m = Pattern.compile("== task ([0-9a-f]{32}) ").matcher(r.out());
        assertTrue(m.find(), r.out());
        String id = m.group(1);
        onlineTask = id;
        String branch = "terok/" + id;
        assertTrue(r.err().contains("port " + sshd.port() + " allowed (the upstream, online mode)"), r.err());

        // The agent's commit and terok's commit of the left-over work are on the upstream's task branch.
        String head = terok.git(upstream, "rev-parse", "refs/heads/" + branch);
        assertEquals("terok: work the agent left uncommitted", terok.git(upstream, "log", "-1", "--format=%s", head));
        assertEquals("agent: add agent.txt", terok.git(upstream, "log", "-1", "--format=%s", head + "^"));
        assertEquals("from-the-agent", terok.git(upstream, "show", head + ":agent.txt"));
        assertEquals("Online Tester <online@example.com>", terok.git(upstream, "log", "-1", "--format=%an <%ae>", head + "^"));
        // The gate holds the same branch (checkpoint); the summary says where the commits went.
        Path gate = Path.of(terok.run("gate", "path", "web").ok().out().trim());
        assertEquals(head, terok.git(gate, "rev-parse", "refs/heads/" + branch), "the gate holds a copy");
        assertTrue(r.out().contains("pushed to the upstream " + url + " (online mode) and to the gate as a checkpoint"), r.out());
        assertTrue(r.out().contains(head.substring(0, 12) + "  terok: work the agent left uncommitted"), r.out());

        // The pushes were signed by the vault's agent for this task; the container holds no key of its own.
        String audit = Files.readString(terok.home.resolve("data/vault/audit.jsonl"));
        assertTrue(audit.lines().anyMatch(l -> l.contains(id) && l.contains("\"provider\":\"ssh-agent\"")
                && l.contains("\"outcome\":\"ok\"")), "the task's signatures are audited: " + audit);
        Terok.Result in = terok.run("exec", id, "sh", "-c", "ssh-add -l; ls -a ~/.ssh 2>&1; git -C /workspace remote -v");
        assertTrue(in.out().contains("terok-web-task (ED25519)"), "the task's agent offers the task key: " + in.out());
        assertFalse(in.out().contains("terok-web (ED25519)"), "never the gate's key: " + in.out());
        assertTrue(in.out().contains("origin\t" + url + " (push)") && in.out().contains("gate\thttp"), in.out());
        String taskKeyId = terok.run("ssh", "list", "web").ok().out().lines().filter(l -> l.contains("terok-web-task"))
                .findFirst().orElseThrow().strip().split("\\s+")[0];
        List<String> body = terok.run("ssh", "export", taskKeyId, "--private").ok().out().lines()
                .filter(l -> !l.startsWith("-----")).skip(1).limit(2).toList();
        StringBuilder grep = new StringBuilder("found=0; for p in");
        body.forEach(l -> grep.append(" '").append(l).append("'"));
        grep.append("; do if grep -rqsF \"$p\" / --exclude-dir=proc --exclude-dir=sys; then found=1; fi;")
                .append(" if env | grep -qF \"$p\"; then found=1; fi; done; echo found=$found");
        Terok.Result search = terok.run("exec", id, "sh", "-c", grep.toString());
        assertTrue(search.out().contains("found=0"), "the upstream key is not in the container: " + search.out() + search.err());

        // Exactly the upstream was opened: another host of the fake internet stays refused (it answers the host).
        Terok.exec(List.of("curl", "-s", "-m", "5", "-o", "/dev/null", "http://" + internet.ip(3) + "/"), Map.of(), 30).ok();
        Terok.Result other = terok.run("exec", id, "curl", "-s", "-m", "5", "-o", "/dev/null", "http://" + internet.ip(3) + "/");
        assertNotEquals(0, other.exitCode(), "another host of the fake internet is refused: " + other.out() + other.err());

        // A server at the upstream's address with another host key (an impersonator) gets no push: the task's ssh
        // accepts only the key the gate pinned.
        sshd.changeHostKey();
        Terok.Result spoofed = terok.run("exec", id, "git", "-C", "/workspace", "push", "-q", "origin", "HEAD:refs/heads/spoofed");
        assertNotEquals(0, spoofed.exitCode(), spoofed.out());
        assertTrue(spoofed.err().contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || spoofed.err().contains("Host key verification failed"),
                spoofed.err());
        assertEquals("", terok.git(upstream, "for-each-ref", "refs/heads/spoofed"));

        // Review shows the branch against the upstream's default branch; forward has nothing to do, and says so.
        Terok.Result review = terok.run("task", "review", "web", id).ok();
        assertTrue(review.out().contains("+from-the-agent"), review.out());
        Terok.Result fwd = terok.run("task", "forward", "web", id);
        assertNotEquals(0, fwd.exitCode());
        assertTrue(fwd.err().contains("online mode") && fwd.err().contains("nothing to forward"), fwd.err());
    }

    /**
     * The console in a real browser: the overview and the task's page say the project and the task are online, the
     * review offers no Forward but the reason, and a forward asked of the console's API anyway (an old page, a script)
     * is refused with the same words as `terok task forward` (the gate knows no modes: run once without the
     * console's check, the gate went on to the upstream, stopped only by the host key this class changed above).
     */
    @Test
    @Order(2)
    void theConsoleShowsTheOnlineModeAndOffersNoForward() {
        assertNotNull(onlineTask, "the online task of the first test");
        int port = Integer.parseInt(terok.env.get("TEROK_CONSOLE_PORT"));
        String base = "http://127.0.0.1:" + port;
        Matcher login = Pattern.compile("(" + Pattern.quote(base) + "/login\\?token=[0-9a-f]{64})").matcher(terok.run("console").ok().out());
        assertTrue(login.find(), "terok console prints the login address");
        try (Browser browser = Browser.start()) {
            browser.open(login.group(1));
            var mode = browser.awaitText(Duration.ofSeconds(20), "tr[data-task='" + onlineTask + "'] td.mode", "online");
            assertTrue(mode.getAttribute("title").contains("nothing to forward"), mode.getAttribute("title"));
            browser.awaitText(Duration.ofSeconds(5), "article[data-project='web'] p.meta", "security online");

            browser.open(base + "/tasks/web/" + onlineTask);
            assertEquals("online", browser.awaitText(Duration.ofSeconds(20), "#task-mode", "online").getText());
            browser.awaitText(Duration.ofSeconds(5), "#forward-refused", "nothing to forward");

            browser.open(base + "/review/web/" + onlineTask);
            String why = browser.awaitText(Duration.ofSeconds(30), "#forward-refused", "online mode").getText();
            assertTrue(why.contains("nothing to forward") && why.contains(sshd.url(upstream)), why);
            assertEquals(0, browser.driver().findElements(By.id("forward-form")).size(), "no Forward button for an online task");
            assertEquals("online", browser.driver().findElement(By.id("review-mode")).getText());
            browser.awaitText(Duration.ofSeconds(5), "pre.diff", "+from-the-agent");

            String commit = browser.driver().findElement(By.id("reviewed-commit")).getText();
            Object answer = ((JavascriptExecutor) browser.driver()).executeAsyncScript(
                    "const done = arguments[arguments.length - 1];"
                            + " fetch('/api/tasks/web/' + arguments[0] + '/forward', {method: 'POST', headers: {"
                            + " 'Content-Type': 'application/json',"
                            + " 'X-CSRF-Token': document.querySelector('meta[name=\"csrf-token\"]').content},"
                            + " body: JSON.stringify({commit: arguments[1]})})"
                            + ".then(r => r.text().then(t => done(r.status + ' ' + t)), e => done('error ' + e));",
                    onlineTask, commit);
            assertTrue(String.valueOf(answer).startsWith("409 ") && String.valueOf(answer).contains("nothing to forward"),
                    "the console's API refuses the forward of an online task: " + answer);
        }
    }

    @Test
    @Order(3)
    void anOnlineProjectWhoseUpstreamNoFirewallCanOpenIsRefusedAndNothingIsCreated() throws Exception {
        Path local = terok.seedUpstream();
        Terok.Result r = terok.run("project", "init", "local", "--upstream", "file://" + local, "--online", "--agents", "claude",
                "--base-image", BASE);
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("security: online") && r.err().contains("a path on this machine"), r.err());
        assertFalse(terok.run("project", "list").ok().out().contains("local "), "no project file");
        assertFalse(terok.run("gate", "list").ok().out().contains("local"), "no gate mirror");
        assertFalse(Files.exists(terok.home.resolve("config/projects/local.yaml")));
    }
}
