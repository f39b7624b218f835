package io.terok.gate.ssh;

import static io.terok.gate.upstream.UpstreamWork.advance;
import static io.terok.gate.upstream.UpstreamWork.git;
import static io.terok.gate.upstream.UpstreamWork.pushTaskBranch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ServiceException;
import io.terok.gate.repo.Maintenance;
import io.terok.gate.repo.Mirror;
import io.terok.gate.repo.Projects;
import io.terok.gate.repo.Records;
import io.terok.gate.upstream.UpstreamUrls;
import io.terok.gate.upstream.Upstreams;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.TestSshd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gate's ssh upstreams against a real sshd on loopback (its own host key, a git repository behind git-shell) with
 * the real OpenSSH client. The agent here is a real {@code ssh-agent} holding a key the test made, standing in for the
 * vault's (the e2e test GateSshEndToEndTest runs the same path with vault-service's own agent): the gate must reach
 * the upstream with the agent only, pin the host key on first use and refuse a changed one, and never write key
 * material under its data directory.
 */
class SshUpstreamTest {
    static Path tmp;
    static TestSshd sshd;
    static Process agent;
    static Path agentSocket;
    static Path keyFile;
    static final AtomicInteger opened = new AtomicInteger();
    static final AtomicInteger closed = new AtomicInteger();
    static volatile String refusal;
    static Projects projects;
    static Mirror mirror;

    @BeforeAll
    static void up() throws Exception {
        Cmd.require(List.of("ssh", "ssh-agent", "ssh-add", "ssh-keygen", "git"));
        tmp = Files.createTempDirectory("terok-gate-ssh");
        sshd = TestSshd.start(tmp.resolve("sshd"));
        Path keys = Files.createDirectories(tmp.resolve("operator-keys"));
        keyFile = keys.resolve("id");
        Cmd.ok("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gate-test", "-f", keyFile.toString());
        sshd.authorize(Files.readString(keys.resolve("id.pub")));
        agentSocket = tmp.resolve("agent.sock");
        agent = new ProcessBuilder("ssh-agent", "-D", "-a", agentSocket.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        for (int i = 0; i < 100 && !Files.exists(agentSocket); i++) {
            Thread.sleep(50);
        }
        ProcessBuilder add = new ProcessBuilder("ssh-add", keyFile.toString()).redirectErrorStream(true);
        add.environment().put("SSH_AUTH_SOCK", agentSocket.toString());
        Process p = add.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);

        AgentSource source = (project, purpose) -> {
            if (refusal != null) {
                throw ServiceException.precondition(refusal);
            }
            opened.incrementAndGet();
            return new AgentSource.Lease() {
                @Override
                public Path socket() {
                    return agentSocket;
                }

                @Override
                public void close() {
                    closed.incrementAndGet();
                }
            };
        };
        projects = new Projects(tmp.resolve("data/gate"));
        mirror = new Mirror(projects, Duration.ofDays(30), new Upstreams((proj, u, knownHosts, why) -> {
            throw new AssertionError("no https upstream here");
        }, new SshAccess(source, "ssh")), new Maintenance(projects, 300_000));
    }

    @AfterAll
    static void down() {
        Cmd.stop(agent);
        if (sshd != null) {
            sshd.close();
        }
        Cmd.run("rm", "-rf", tmp.toString());
    }

    @Test
    void syncRewriteAndForwardOverSshWithTheAgentOnly() throws Exception {
        Path up = sshd.repository("mirror");
        String url = sshd.url(up);
        assertTrue(UpstreamUrls.isSsh(url));
        projects.create("ssh-mirror", url);
        int opens = opened.get();
        Records.SyncResult first = mirror.sync("ssh-mirror");
        assertEquals(opens + 1, opened.get(), "one agent per sync");
        assertEquals(opened.get(), closed.get(), "and closed after it");
        Path gate = projects.path("ssh-mirror");
        assertEquals(git(up, "rev-parse", "main"), git(gate, "rev-parse", "refs/heads/main"), first.toString());
        assertEquals("refs/heads/main", git(gate, "symbolic-ref", "HEAD"));
        String pinned = Files.readString(projects.knownHosts("ssh-mirror"));
        assertTrue(pinned.contains("[127.0.0.1]:" + sshd.port() + " " + sshd.hostKey()), "host key pinned on first use: " + pinned);

        // An upstream rewrite becomes a pending operation, as for file://.
        Path work = tmp.resolve("mirror-work");
        Cmd.ok("git", "clone", "-q", up.toString(), work.toString());
        git(work, "commit", "-q", "--amend", "-m", "rewritten");
        git(work, "push", "-q", "-f", "origin", "main");
        Records.SyncResult second = mirror.sync("ssh-mirror");
        assertEquals(1, second.pending().size(), second.toString());
        assertEquals("rewrite", second.pending().get(0).kind());

        // Forward a reviewed branch upstream over ssh.
        mirror.apply("ssh-mirror", second.pending().get(0).id());
        Path task = tmp.resolve("task-work");
        pushTaskBranch(gate, task);
        opens = opened.get();
        Records.Update fwd = mirror.forward("ssh-mirror", "feature", "", git(task, "rev-parse", "HEAD"));
        assertEquals("forward", fwd.kind());
        assertEquals(git(task, "rev-parse", "HEAD"), git(up, "rev-parse", "refs/heads/feature"), "delivered upstream over ssh");
        assertEquals(opens + 2, opened.get(), "forward syncs (one agent) then pushes (another)");
        assertEquals(opened.get(), closed.get());

        // No key material anywhere under the gate's data directory; the agent socket is not there either.
        String privateBody = Files.readString(keyFile).lines().filter(l -> !l.startsWith("-----")).skip(1).findFirst().orElseThrow();
        try (Stream<Path> files = Files.walk(tmp.resolve("data"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
                assertFalse(text.contains("PRIVATE KEY") || text.contains(privateBody), "key material in " + f);
            }
        }
        try (Stream<Path> files = Files.walk(tmp.resolve("data"))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".sock")));
        }
    }

    @Test
    void aChangedHostKeyFailsClosedUntilTheOperatorTrustsTheNewOne() throws Exception {
        try (TestSshd other = TestSshd.start(tmp.resolve("sshd-rekeyed"))) {
            other.authorize(Files.readString(tmp.resolve("operator-keys/id.pub")));
            Path up = other.repository("rekeyed");
            projects.create("ssh-rekeyed", other.url(up));
            mirror.sync("ssh-rekeyed");
            Path gate = projects.path("ssh-rekeyed");
            String before = git(gate, "rev-parse", "refs/heads/main");

            Path work = tmp.resolve("rekeyed-work");
            advance(up, work, "new upstream work");
            other.changeHostKey();

            ServiceException e = assertThrows(ServiceException.class, () -> mirror.sync("ssh-rekeyed"));
            assertEquals(ServiceException.Kind.PRECONDITION, e.kind());
            String m = e.getMessage();
            assertTrue(m.contains("project ssh-rekeyed") && m.contains("[127.0.0.1]:" + other.port())
                    && m.contains("terok gate trust-host ssh-rekeyed") && m.contains("Nothing was fetched"), m);
            assertTrue(m.contains("SHA256:"), "names the key the server now presents: " + m);
            assertEquals(before, git(gate, "rev-parse", "refs/heads/main"), "nothing fetched");
            assertEquals(before, git(gate, "rev-parse", "refs/terok/upstream/main"), "snapshot untouched");
            assertEquals(opened.get(), closed.get(), "the agent is closed after a failure too");
            assertThrows(ServiceException.class, () -> mirror.forward("ssh-rekeyed", "main", "", before), "forward is refused as well");

            List<String> forgotten = projects.forgetHostKeys("ssh-rekeyed");
            assertEquals(1, forgotten.size(), forgotten.toString());
            mirror.sync("ssh-rekeyed");
            assertEquals(git(up, "rev-parse", "main"), git(gate, "rev-parse", "refs/heads/main"));
            assertTrue(Files.readString(projects.knownHosts("ssh-rekeyed")).contains(other.hostKey()), "the new key is pinned");
        }
    }

    @Test
    void aKeyTheUpstreamDoesNotKnowAndAVaultRefusalAreClearErrors() throws Exception {
        try (TestSshd stranger = TestSshd.start(tmp.resolve("sshd-stranger"))) {
            Path up = stranger.repository("stranger");
            projects.create("ssh-stranger", stranger.url(up));
            ServiceException e = assertThrows(ServiceException.class, () -> mirror.sync("ssh-stranger"));
            assertTrue(e.getMessage().contains("refused the project's SSH key") && e.getMessage().contains("terok ssh list ssh-stranger"),
                    e.getMessage() + "\nthe test sshd's log:\n" + stranger.log());
            assertFalse(Files.exists(projects.path("ssh-stranger").resolve("refs/terok/upstream/main")));
        }
        refusal = "the vault is locked, so the gate cannot use the SSH key of project ssh-locked: run `terok vault unlock`";
        try {
            projects.create("ssh-locked", sshd.url(sshd.dir().resolve("nothing.git")));
            ServiceException e = assertThrows(ServiceException.class, () -> mirror.sync("ssh-locked"));
            assertTrue(e.getMessage().contains("terok vault unlock"), e.getMessage());
            assertFalse(Files.exists(projects.knownHosts("ssh-locked")), "nothing contacted");
        } finally {
            refusal = null;
        }
    }

    @Test
    void sshUrlsAreCheckedBeforeTheyReachSshsCommandLine() {
        for (String ok : List.of("ssh://git@example.invalid/org/repo.git", "ssh://example.invalid:2222/repo.git", "git@example.invalid:org/repo.git",
                "git@example.invalid:/srv/repo.git", "ssh://git@[::1]:22/repo.git")) {
            assertEquals(ok, UpstreamUrls.validate("upstream_url", ok));
            assertTrue(UpstreamUrls.isSsh(ok), ok);
        }
        for (String bad : List.of("ssh://-oProxyCommand=evil/x", "ssh://git@-host/x", "ssh://-u@host/x", "ssh://user:pw@host/x",
                "ssh://host", "git@host:-oProxyCommand=x", "ext::sh -c evil", "git@host::x")) {
            assertThrows(ServiceException.class, () -> UpstreamUrls.validate("upstream_url", bad), bad);
        }
        OpenSshSessions s = new OpenSshSessions("ssh", Path.of("/run/agent.sock"), Path.of("/data/known_hosts"));
        List<String> cmd = s.command(uri("ssh://git@example.invalid:2222/r.git"), "git-upload-pack '/r.git'");
        assertEquals(List.of("-p", "2222", "-l", "git", "--", "example.invalid", "git-upload-pack '/r.git'"), cmd.subList(cmd.size() - 7, cmd.size()));
        assertTrue(cmd.containsAll(List.of("-F", "/dev/null", "IdentityAgent=/run/agent.sock", "IdentityFile=none", "BatchMode=yes",
                "StrictHostKeyChecking=accept-new", "UserKnownHostsFile=/data/known_hosts", "GlobalKnownHostsFile=/dev/null")), cmd.toString());
    }

    static org.eclipse.jgit.transport.URIish uri(String s) {
        try {
            return new org.eclipse.jgit.transport.URIish(s);
        } catch (java.net.URISyntaxException e) {
            throw new AssertionError(e);
        }
    }
}
