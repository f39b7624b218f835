package io.terok.vault.ssh;

import io.terok.vault.TestVaults;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.vault.Vault;
import io.terok.common.ServiceException;
import io.terok.vault.broker.AuditLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate's short-lived agents: one project's keys, private socket, refusals that name the fix, idle close, audit. */
class GateAgentsTest {
    @TempDir
    Path tmp;
    Vault vault;
    AuditLog audit;
    SshKeyStore keys;
    GateAgents agents;

    @BeforeAll
    static void tools() {
        Tools.require("ssh-add");
    }

    @BeforeEach
    void open() {
        vault = TestVaults.unlocked(tmp);
        audit = new AuditLog(tmp.resolve("data/audit.jsonl"));
        keys = new SshKeyStore(vault.storage(), Clock.systemUTC());
        agents = new GateAgents(tmp.resolve("run/vault-gate-ssh"), keys, vault, audit, Clock.systemUTC(), Duration.ofMillis(800),
                Duration.ofMinutes(5));
    }

    @AfterEach
    void close() {
        agents.close();
        audit.close();
        vault.close();
    }

    @Test
    void servesOnlyTheProjectsKeysOnAPrivateSocketAndClosesIt() throws Exception {
        SshKeyStore.Info mine = keys.add("gp-a", SshKey.Type.ED25519, 0, "gate-a", SshKeyStore.Use.GATE);
        SshKeyStore.Info other = keys.add("gp-b", SshKey.Type.ED25519, 0, "gate-b", SshKeyStore.Use.GATE);
        GateAgents.Opened o = agents.open("gp-a", "sync");
        assertEquals(List.of(mine.fingerprint()), o.fingerprints());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(agents.root())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(o.socket())));
        assertEquals(agents.root(), o.socket().getParent());

        String listed = Tools.run(List.of("ssh-add", "-l"), Map.of("SSH_AUTH_SOCK", o.socket().toString()), tmp).ok().out();
        assertTrue(listed.contains(mine.fingerprint()), listed);
        assertFalse(listed.contains(other.fingerprint()), "another project's key is not served: " + listed);

        assertTrue(agents.close(o.id()));
        assertFalse(Files.exists(o.socket()), "the socket is gone");
        assertFalse(agents.close(o.id()), "idempotent");
        assertThrows(ServiceException.class, () -> agents.close("../x"));
        audit.flush();
        String log = Files.readString(tmp.resolve("data/audit.jsonl"));
        assertTrue(log.contains("\"task\":\"gate:gp-a\"") && log.contains("\"method\":\"OPEN\"") && log.contains("\"method\":\"CLOSE\""), log);
    }

    @Test
    void refusalsNameTheFix() {
        ServiceException none = assertThrows(ServiceException.class, () -> agents.open("gp-empty", "sync"));
        assertEquals(ServiceException.Kind.PRECONDITION, none.kind());
        assertTrue(none.getMessage().contains("terok ssh add gp-empty"), none.getMessage());
        assertThrows(ServiceException.class, () -> agents.open("../evil", "sync"));
        assertThrows(ServiceException.class, () -> agents.open("gp-x", "Sync now"));
        keys.add("gp-locked", SshKey.Type.ED25519, 0, "", SshKeyStore.Use.GATE);
        vault.lock();
        ServiceException locked = assertThrows(ServiceException.class, () -> agents.open("gp-locked", "sync"));
        assertTrue(locked.getMessage().contains("terok vault unlock"), locked.getMessage());
        assertEquals(Map.of(), agents.openAgents(), "nothing opened by a refusal");
    }

    @Test
    void anAgentTheGateForgetsIsClosedWhenIdle() throws Exception {
        keys.add("gp-idle", SshKey.Type.ED25519, 0, "", SshKeyStore.Use.GATE);
        GateAgents.Opened o = agents.open("gp-idle", "forward");
        long deadline = System.currentTimeMillis() + 10_000;
        while (Files.exists(o.socket()) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertFalse(Files.exists(o.socket()), "closed after the idle timeout");
        assertEquals(Map.of(), agents.openAgents());
    }

    @Test
    void aRestartedVaultDeletesLeftoverSockets() throws Exception {
        keys.add("gp-restart", SshKey.Type.ED25519, 0, "", SshKeyStore.Use.GATE);
        Path stale = agents.root().resolve("0123456789abcdef01234567.sock");
        Files.writeString(stale, "");
        new GateAgents(agents.root(), keys, vault, audit, Clock.systemUTC(), Duration.ofSeconds(60), Duration.ofMinutes(5)).close();
        assertFalse(Files.exists(stale));
    }
}
