package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.testsupport.TestSshd;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gate syncs and forwards an ssh:// upstream with the project's key from the vault, through the vault's agent
 * (OpenProjectAgent), all through the CLI of a private installation (`terok services up`): a real sshd on loopback
 * with the vault's public key in its authorized_keys and a git repository behind it. The sign requests are audited
 * as `gate:<project>`, no agent stays open, no key material lands under the gate's data directory, a changed host key
 * fails closed until `terok gate trust-host`, and a locked vault or a project without key is a clear error.
 */
class GateSshEndToEndTest {
    static Terok terok;
    static TestSshd sshd;

    @BeforeAll
    static void up() throws Exception {
        terok = new Terok(Terok.freshHome("gate-ssh", null), null);
        Files.createDirectories(terok.home.resolve("config"));
        Files.writeString(terok.home.resolve("config/config.yaml"), String.join("\n",
                "terok:",
                "  vault:",
                "    kernel-keyring: false",
                "    passphrase-command: printf %s e2e-gate-ssh-passphrase",
                ""));
        terok.run("services", "up").ok();
        sshd = TestSshd.start(terok.home.resolve("sshd"));
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

    static List<Path> openGateAgents() throws Exception {
        return terok.runtimeEntries("vault-gate-ssh");
    }

    @Test
    void syncAndForwardOverSshWithTheVaultsKey() throws Exception {
        Terok.Result added = terok.run("ssh", "add", "e2e-gssh", "--comment", "gate-key").ok();
        List<String> lines = added.out().lines().toList();
        sshd.authorize(lines.get(lines.size() - 1));
        String id = lines.get(0).split(" ")[0];
        Path up = sshd.repository("gssh");

        terok.run("gate", "create", "e2e-gssh", sshd.url(up)).ok();
        Path gate = Path.of(terok.run("gate", "path", "e2e-gssh").ok().out().trim());
        assertEquals(terok.git(up, "rev-parse", "main"), terok.git(gate, "rev-parse", "refs/heads/main"), "mirrored over ssh");
        assertTrue(Files.readString(gate.resolve("terok/known_hosts")).contains(sshd.hostKey()), "host key pinned on first use");

        // An upstream rewrite becomes a pending operation.
        Path work = terok.home.resolve("gssh-work");
        terok.git(terok.home, "clone", "-q", up.toString(), work.toString());
        terok.git(work, "commit", "-q", "--amend", "-m", "rewritten upstream");
        terok.git(work, "push", "-q", "-f", "origin", "main");
        Terok.Result sync = terok.run("gate", "sync", "e2e-gssh").ok();
        assertTrue(sync.out().contains("pending") && sync.out().contains("rewrite refs/heads/main"), sync.out());

        // A reviewed branch (pushed into the gate as a task would) is forwarded upstream over ssh.
        String pushed = terok.pushAsTask(gate, terok.home.resolve("gssh-task"), "reviewed");
        terok.run("gate", "forward", "e2e-gssh", "reviewed").ok();
        assertEquals(pushed, terok.git(up, "rev-parse", "refs/heads/reviewed"), "forwarded over ssh");

        assertEquals(List.of(), openGateAgents(), "every agent the gate asked for is closed");
        String audit = Files.readString(terok.home.resolve("data/vault/audit.jsonl"));
        assertTrue(audit.lines().anyMatch(l -> l.contains("\"task\":\"gate:e2e-gssh\"") && l.contains("\"method\":\"SIGN\"")
                && l.contains("\"outcome\":\"ok\"")), "the gate's signatures are audited: " + audit);

        // No key material under the gate's data directory.
        String exported = terok.run("ssh", "export", id, "--private").ok().out();
        List<String> body = exported.lines().filter(l -> !l.startsWith("-----")).skip(1).toList();
        try (Stream<Path> files = Files.walk(terok.home.resolve("data/gate"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertFalse(text.contains("PRIVATE KEY"), f.toString());
                body.forEach(l -> assertFalse(text.contains(l), "key material in " + f));
            }
        }

        // A changed host key fails closed, with what to do, until the operator trusts the new one.
        String before = terok.git(gate, "rev-parse", "refs/terok/upstream/main");
        terok.git(work, "commit", "-q", "--allow-empty", "-m", "more upstream work");
        terok.git(work, "push", "-q", "origin", "main");
        sshd.changeHostKey();
        Terok.Result refused = terok.run("gate", "sync", "e2e-gssh");
        assertNotEquals(0, refused.exitCode());
        assertTrue(refused.err().contains("project e2e-gssh") && refused.err().contains("terok gate trust-host e2e-gssh")
                && refused.err().contains("127.0.0.1"), refused.err());
        assertEquals(before, terok.git(gate, "rev-parse", "refs/terok/upstream/main"), "nothing fetched");
        Terok.Result trusted = terok.run("gate", "trust-host", "e2e-gssh").ok();
        assertTrue(trusted.out().contains("forgot"), trusted.out());
        terok.run("gate", "sync", "e2e-gssh").ok();
        assertEquals(terok.git(up, "rev-parse", "main"), terok.git(gate, "rev-parse", "refs/terok/upstream/main"));
        assertTrue(Files.readString(gate.resolve("terok/known_hosts")).contains(sshd.hostKey()), "the new key is pinned");

        // A locked vault: a clear error naming the fix, nothing half-done; unlocked again, sync works.
        terok.run("vault", "lock").ok();
        try {
            Terok.Result locked = terok.run("gate", "sync", "e2e-gssh");
            assertNotEquals(0, locked.exitCode());
            assertTrue(locked.err().contains("terok vault unlock"), locked.err());
        } finally {
            terok.run("vault", "unlock").ok();
        }
        terok.run("gate", "sync", "e2e-gssh").ok();
        assertEquals(List.of(), openGateAgents());
    }

    @Test
    void aProjectWithoutKeyIsRefusedAndNotCreated() throws Exception {
        Path up = sshd.repository("nokey");
        Terok.Result r = terok.run("gate", "create", "e2e-nokey", sshd.url(up));
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("terok ssh add e2e-nokey"), r.err());
        assertFalse(terok.run("gate", "list").ok().out().contains("e2e-nokey"), "nothing half-done");
    }
}
