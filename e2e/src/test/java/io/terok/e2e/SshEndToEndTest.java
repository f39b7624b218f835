package io.terok.e2e;

import io.terok.testsupport.Cmd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import io.terok.testsupport.TestSshd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The vault's SSH signer from inside a real hardened task container: a key made with {@code terok ssh add} is
 * listed by {@code ssh-add -l} in the container and used by {@code git clone} / {@code git push} over SSH to a
 * real sshd the test runs on 127.0.0.1 (its own host key and config; the container reaches it at the host-loopback
 * address 10.0.2.2). The private key is nowhere in the container's filesystem, and removing the task removes the
 * agent's socket. Both as root (rootful podman, userns=auto: the task's uid is a subordinate uid) and as the
 * rootless test user (keep-id, read-only root).
 */
class SshEndToEndTest {
    static Terok terok;
    static Path dir;
    static TestSshd sshd;
    static Path repo;
    static int sshPort;
    static String hostKey;

    @BeforeAll
    static void up() throws Exception {
        Cmd.require(List.of("/usr/sbin/sshd", "ssh-keygen", "git", "git-shell"));
        terok = new Terok(Terok.freshHome("ssh", null), null);
        dir = terok.home.resolve("sshd");
        Files.createDirectories(dir);
        Files.createDirectories(terok.home.resolve("config"));
        Files.writeString(terok.home.resolve("config/config.yaml"), String.join("\n",
                "terok:",
                "  vault:",
                "    kernel-keyring: false",
                "    passphrase-command: printf %s e2e-ssh-passphrase",
                ""));
        terok.run("services", "up").ok();
    }

    @AfterAll
    static void down() {
        if (sshd != null) {
            sshd.close();
        }
        if (terok != null) {
            terok.discard();
        }
    }

    /** Lets a key in (git commands only; see TestSshd) and starts the test sshd, with a repository, once. */
    static synchronized void startSshd(String publicLine) {
        if (sshd == null) {
            sshd = TestSshd.start(dir);
            repo = sshd.repository("repo");
            sshPort = sshd.port();
            hostKey = sshd.hostKey();
        }
        sshd.authorize(publicLine);
    }

    static List<Path> agentDirs() throws IOException {
        return agentDirs(terok);
    }

    static List<Path> agentDirs(Terok t) throws IOException {
        return t.runtimeEntries("vault-ssh");
    }

    @Test
    void gitOverSshWorksThroughTheVaultsAgentAndTheKeyNeverEntersTheContainer() throws Exception {
        // The project's gate key (the gate forwards upstream with it) and a key marked for the project's tasks.
        Terok.Result gateKey = terok.run("ssh", "add", "e2e-ssh", "--comment", "gate-key").ok();
        String gateId = gateKey.out().lines().findFirst().orElseThrow().split(" ")[0];
        assertTrue(gateKey.out().contains(" gate "), "a key is a gate key unless marked: " + gateKey.out());
        Terok.Result added = terok.run("ssh", "add", "e2e-ssh", "--use", "task", "--comment", "e2e-key").ok();
        assertTrue(added.out().contains(" task "), added.out());
        List<String> lines = added.out().lines().toList();
        String publicLine = lines.get(lines.size() - 1);
        assertTrue(publicLine.startsWith("ssh-ed25519 ") && publicLine.endsWith(" e2e-key"), added.out());
        String id = lines.get(0).split(" ")[0];
        assertTrue(terok.run("ssh", "list", "e2e-ssh").ok().out().contains(" e2e-key"));
        assertEquals(publicLine, terok.run("ssh", "pub", id).ok().out().trim());
        Terok.Result exported = terok.run("ssh", "export", id, "--private").ok();
        assertTrue(exported.err().contains("WARNING"), "an explicit warning for the private key: " + exported.err());
        List<String> body = exported.out().lines().filter(l -> !l.startsWith("-----")).toList();
        assertTrue(body.size() > 2, exported.out());
        startSshd(publicLine);

        String name = "ssh-e2e-" + ProcessHandle.current().pid();
        String task = terok.run("run", "-d", "--name", name, "--project", "e2e-ssh", "--no-gate", "--no-shield",
                "localhost/terok-agent:latest", "sh", "-c", "sleep 600").ok().out().trim();
        try {
            List<Path> dirs = agentDirs();
            assertEquals(1, dirs.size(), "one agent directory for the task: " + dirs);
            Path sock = dirs.get(0).resolve("agent.sock");
            assertTrue(Files.exists(sock));
            assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(terok.runtimeDir().resolve("vault-ssh"))));

            String ssh = "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/tmp/known_hosts -p " + sshPort;
            String script = String.join("\n",
                    "set -e",
                    "echo \"SOCK=$SSH_AUTH_SOCK uid=$(id -u)\"",
                    "ssh-add -l",
                    "echo '[10.0.2.2]:" + sshPort + " " + hostKey + "' > /tmp/known_hosts",
                    "export GIT_SSH_COMMAND='" + ssh + "'",
                    "cd /tmp && git clone -q ssh://root@10.0.2.2:" + sshPort + repo + " work",
                    "cat work/README",
                    "cd work && git -c user.email=task@e -c user.name=task commit -q --allow-empty -m from-the-task",
                    "git push -q origin HEAD:refs/heads/from-task",
                    "echo PUSHED",
                    "");
            Terok.Result in = terok.run("exec", task, "sh", "-c", script);
            assertEquals(0, in.exitCode(), in.out() + "\n" + in.err() + "\nsshd: " + sshd.log());
            assertTrue(in.out().contains("SOCK=/run/terok/ssh-agent/agent.sock uid=1000"), in.out());
            assertTrue(in.out().contains(" e2e-key (ED25519)"), "ssh-add -l lists the project's task key: " + in.out());
            // Issue 15 item 2: the gate's key is never in a task's agent (before key uses it was listed here).
            assertFalse(in.out().contains("gate-key"), "the gate key is not offered to the task: " + in.out());
            terok.run("ssh", "use", gateId, "task").ok();
            assertTrue(terok.run("exec", task, "ssh-add", "-l").ok().out().contains("gate-key"), "marked for task use: offered at once");
            terok.run("ssh", "use", gateId, "gate").ok();
            assertFalse(terok.run("exec", task, "ssh-add", "-l").ok().out().contains("gate-key"), "and withdrawn at once");
            assertTrue(in.out().contains("over ssh"), "cloned over ssh: " + in.out());
            assertTrue(in.out().contains("PUSHED"), in.out());
            Terok.Result pushed = Terok.exec(List.of("git", "--git-dir", repo.toString(), "log", "-1", "--format=%s",
                    "from-task"), Map.of(), 30).ok();
            assertEquals("from-the-task", pushed.out().trim(), "the push arrived upstream");

            // The key material is nowhere in the container: not in its files, not in its environment.
            StringBuilder grep = new StringBuilder("found=0; for p in");
            body.stream().skip(1).forEach(l -> grep.append(" '").append(l).append("'"));
            grep.append("; do if grep -rqsF \"$p\" / --exclude-dir=proc --exclude-dir=sys; then found=1; fi;")
                    .append(" if env | grep -qF \"$p\"; then found=1; fi; done; echo found=$found");
            Terok.Result search = terok.run("exec", task, "sh", "-c", grep.toString());
            assertTrue(search.out().contains("found=0"), "the private key is not in the container: " + search.out() + search.err());
        } finally {
            terok.run("rm", "-f", task).ok();
        }
        assertEquals(List.of(), agentDirs(), "the agent's socket and directory are gone with the task");
        assertTrue(Files.readString(terok.home.resolve("data/vault/audit.jsonl")).contains("\"provider\":\"ssh-agent\""),
                "sign requests are audited");
    }

    /** Rootless podman with keep-id: the task's uid 1000 is the operator, who owns the agent's socket. */
    @Test
    void theAgentWorksFromARootlessTask() throws Exception {
        String user = System.getenv().getOrDefault("TEROK_TEST_USER", "terok-ci");
        Terok rootless = new Terok(Terok.freshHome("ssh-rootless", user), user);
        rootless.env.put("TEROK_DATA_DIR", rootless.home.resolve("data").toString());
        Terok.exec(List.of(Terok.REPO.resolve("bin/test-user").toString(), "mkdir", "-p", rootless.home.resolve("config").toString()),
                Map.of(), 30).ok();
        Terok.exec(List.of(Terok.REPO.resolve("bin/test-user").toString(), "sh", "-c", "printf '%s\\n' 'terok:' '  vault:'"
                + " '    kernel-keyring: false' '    passphrase-command: printf %s rootless-pass' > " + rootless.home.resolve("config/config.yaml")),
                Map.of(), 30).ok();
        try {
            rootless.run("services", "up").ok();
            Terok.Result added = rootless.run("ssh", "add", "e2e-rootless", "--use", "task", "--comment", "rootless-key").ok();
            List<String> lines = added.out().lines().toList();
            startSshd(lines.get(lines.size() - 1));
            String task = rootless.run("run", "-d", "--name", "ssh-rootless-" + ProcessHandle.current().pid(), "--project", "e2e-rootless",
                    "--no-gate", "--no-shield", "--read-only", "localhost/terok-agent:latest", "sh", "-c", "sleep 600").ok().out().trim();
            try {
                assertEquals(1, agentDirs(rootless).size());
                String ssh = "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/tmp/known_hosts -p " + sshPort;
                Terok.Result in = rootless.run("exec", task, "sh", "-c", String.join("\n",
                        "set -e",
                        "id -u",
                        "ssh-add -l",
                        "echo '[10.0.2.2]:" + sshPort + " " + hostKey + "' > /tmp/known_hosts",
                        "GIT_SSH_COMMAND='" + ssh + "' git ls-remote ssh://root@10.0.2.2:" + sshPort + repo + " main",
                        ""));
                assertEquals(0, in.exitCode(), in.out() + "\n" + in.err() + "\nsshd: " + sshd.log());
                assertTrue(in.out().startsWith("1000\n"), in.out());
                assertTrue(in.out().contains(" rootless-key (ED25519)"), in.out());
                assertTrue(in.out().contains("refs/heads/main"), "signed in over ssh: " + in.out());
            } finally {
                rootless.run("rm", "-f", task).ok();
            }
            assertEquals(List.of(), agentDirs(rootless), "gone with the task");
        } finally {
            rootless.discard();
        }
    }
}
