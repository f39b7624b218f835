package io.terok.vault.ssh;

import io.terok.vault.TestVaults;
import io.terok.vault.TaskIds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.vault.Vault;
import io.terok.vault.broker.AuditLog;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-task agents on their real Unix sockets, driven by the real OpenSSH client tools (ssh-add, ssh-keygen -Y)
 * and by a raw client for what those tools never send. The vault under them is a real SQLCipher database.
 */
class SshAgentsTest {
    @TempDir
    Path tmp;
    Vault vault;
    AuditLog audit;
    SshKeyStore keys;
    SshAgents agents;

    @BeforeAll
    static void tools() {
        Tools.require("ssh-add");
        Tools.require("ssh-keygen");
    }

    @BeforeEach
    void open() {
        vault = TestVaults.unlocked(tmp);
        audit = new AuditLog(tmp.resolve("data/audit.jsonl"));
        keys = new SshKeyStore(vault.storage(), Clock.systemUTC());
        agents = new SshAgents(tmp.resolve("run/vault-ssh"), keys, vault, audit, Clock.systemUTC());
        vault.onUnlock(agents::restore);
    }

    @AfterEach
    void close() {
        agents.close();
        audit.close();
        vault.close();
    }

    private Tools.Result ssh(Path socket, String... cmd) {
        return Tools.run(List.of(cmd), Map.of("SSH_AUTH_SOCK", socket.toString()), tmp);
    }

    @Test
    void sshAddListsOnlyTheProjectsKeysAndSshKeygenSignaturesVerify() throws Exception {
        SshKeyStore.Info ed = keys.add("proj-a", SshKey.Type.ED25519, 0, "a-ed", SshKeyStore.Use.TASK);
        Tools.run(List.of("ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "a-rsa", "-f", tmp.resolve("rsa").toString()), Map.of(), null).ok();
        SshKeyStore.Info rsa = keys.importKey("proj-a", Files.readString(tmp.resolve("rsa")), "", SshKeyStore.Use.TASK);
        SshKeyStore.Info other = keys.add("proj-b", SshKey.Type.ED25519, 0, "b-ed", SshKeyStore.Use.TASK);

        assertTrue(agents.openFor(TaskIds.of("task-none"), "proj-without-keys").isEmpty(), "no keys, no agent");
        Path dir = agents.openFor(TaskIds.of("task-1"), "proj-a").orElseThrow();
        Path sock = dir.resolve(SshAgents.SOCKET);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(agents.root())));
        assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));

        String listed = ssh(sock, "ssh-add", "-l").ok().out();
        assertTrue(listed.contains(ed.fingerprint()) && listed.contains("a-ed"), listed);
        assertTrue(listed.contains(rsa.fingerprint()) && listed.contains("(RSA)"), listed);
        assertFalse(listed.contains(other.fingerprint()), "another project's key is not listed: " + listed);

        for (SshKeyStore.Info k : List.of(ed, rsa)) {
            Path pub = tmp.resolve("k" + k.id() + ".pub");
            Files.writeString(pub, k.publicLine() + "\n");
            Path data = tmp.resolve("data" + k.id() + ".txt");
            Files.writeString(data, "commit to sign " + k.id());
            ssh(sock, "ssh-keygen", "-Y", "sign", "-f", pub.toString(), "-n", "git", data.toString()).ok();
            Path allowed = tmp.resolve("allowed" + k.id());
            Files.writeString(allowed, "signer@test " + k.publicLine() + "\n");
            Tools.Result v = Tools.run(List.of("sh", "-c", "ssh-keygen -Y verify -f " + allowed + " -I signer@test -n git -s " + data
                    + ".sig < " + data), Map.of(), null).ok();
            assertTrue(v.out().contains("Good \"git\" signature for signer@test"), v.out() + v.err());
        }

        // The agent cannot be changed from the task: add, delete all, lock are refused.
        Tools.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp.resolve("planted").toString()), Map.of(), null).ok();
        assertNotEquals(0, ssh(sock, "ssh-add", tmp.resolve("planted").toString()).code());
        assertNotEquals(0, ssh(sock, "ssh-add", "-D").code());
        assertEquals(2, ssh(sock, "ssh-add", "-l").ok().out().lines().count(), "still exactly the project's keys");

        audit.flush();
        List<AuditLog.Entry> signs = audit.read(e -> e.provider().equals("ssh-agent"));
        assertEquals(2, signs.size(), signs.toString());
        assertTrue(signs.stream().allMatch(e -> e.taskId().equals(TaskIds.of("task-1")) && e.outcome().equals("ok")), signs.toString());
        assertTrue(signs.stream().anyMatch(e -> e.path().equals(ed.fingerprint() + " ssh-ed25519")), signs.toString());
        assertTrue(signs.stream().anyMatch(e -> e.path().equals(rsa.fingerprint() + " rsa-sha2-512")), signs.toString());
    }

    /**
     * Issue 15 item 2, played as the attack: the project's gate key (what the gate forwards upstream with) is never in
     * the task's agent, so a task cannot `git push git@github.com:...` past review with it; the task key granted to
     * the project is. Before key uses, ssh-add -l in the task listed the gate key and the agent signed with it.
     */
    @Test
    void aTasksAgentNeverListsOrSignsWithTheProjectsGateKey() throws Exception {
        SshKeyStore.Info gate = keys.add("proj-g", SshKey.Type.ED25519, 0, "gate-key", SshKeyStore.Use.GATE);
        SshKeyStore.Info task = keys.add("proj-g", SshKey.Type.ED25519, 0, "task-key", SshKeyStore.Use.TASK);
        Path sock = agents.openFor(TaskIds.of("task-g"), "proj-g").orElseThrow().resolve(SshAgents.SOCKET);
        String listed = ssh(sock, "ssh-add", "-l").ok().out();
        assertTrue(listed.contains(task.fingerprint()), listed);
        assertFalse(listed.contains(gate.fingerprint()) || listed.contains("gate-key"), "the gate key is not offered: " + listed);
        Path pub = tmp.resolve("gate.pub");
        Files.writeString(pub, gate.publicLine() + "\n");
        Path data = tmp.resolve("push.txt");
        Files.writeString(data, "a push the review never saw");
        assertNotEquals(0, ssh(sock, "ssh-keygen", "-Y", "sign", "-f", pub.toString(), "-n", "git", data.toString()).code(),
                "the agent refuses to sign with the gate key");
        audit.flush();
        assertTrue(audit.read(e -> e.provider().equals("ssh-agent") && e.path().startsWith(gate.fingerprint()))
                .stream().allMatch(e -> e.outcome().equals("unknown_key")));

        // A project with only a gate key gets no task agent at all; marking the key for task use is explicit.
        keys.add("proj-gate-only", SshKey.Type.ED25519, 0, "only-gate", SshKeyStore.Use.GATE);
        assertTrue(agents.openFor(TaskIds.of("task-go"), "proj-gate-only").isEmpty());
        // One key, one use: the gate key cannot be granted to another project's tasks by adding it again as a task key.
        SshKey gateKey = SshKey.parseOpenSsh(keys.export(gate.id(), true).privateKey().orElseThrow());
        io.terok.common.ServiceException twice = org.junit.jupiter.api.Assertions.assertThrows(io.terok.common.ServiceException.class,
                () -> keys.importKey("proj-other", gateKey.toOpenSsh(), "", SshKeyStore.Use.TASK));
        assertTrue(twice.getMessage().contains("as a gate key") && twice.getMessage().contains("terok ssh use " + gate.id()), twice.getMessage());
        // Changing the use is seen by the running agent at its next request.
        keys.setUse(gate.id(), SshKeyStore.Use.TASK);
        assertTrue(ssh(sock, "ssh-add", "-l").ok().out().contains(gate.fingerprint()));
        keys.setUse(gate.id(), SshKeyStore.Use.GATE);
        assertFalse(ssh(sock, "ssh-add", "-l").ok().out().contains(gate.fingerprint()));
    }

    @Test
    void rawProtocolSha1UnknownKeysMalformedAndOversizedMessages() throws Exception {
        SshKeyStore.Info rsa = keys.add("proj-r", SshKey.Type.RSA, 3072, "r", SshKeyStore.Use.TASK);
        Path sock = agents.openFor(TaskIds.of("task-r"), "proj-r").orElseThrow().resolve(SshAgents.SOCKET);
        byte[] blob = java.util.Base64.getDecoder().decode(rsa.publicLine().split(" ")[1]);
        try (Raw c = new Raw(sock)) {
            byte[] ids = c.call(new byte[] {AgentProtocol.SSH_AGENTC_REQUEST_IDENTITIES});
            SshWire.Reader r = new SshWire.Reader(ids);
            assertEquals(AgentProtocol.SSH_AGENT_IDENTITIES_ANSWER, r.u8());
            assertEquals(1, r.u32());
            assertArrayEquals(blob, r.string());
            // SHA-1 ssh-rsa: refused
            assertEquals(AgentProtocol.SSH_AGENT_FAILURE, c.call(sign(blob, 0))[0]);
            // SHA-256: a signature
            byte[] ok = c.call(sign(blob, SshKey.RSA_SHA2_256));
            assertEquals(AgentProtocol.SSH_AGENT_SIGN_RESPONSE, ok[0]);
            // a key of no project of this task
            byte[] foreign = SshKey.generate(SshKey.Type.ED25519, 0, "").publicBlob();
            assertEquals(AgentProtocol.SSH_AGENT_FAILURE, c.call(sign(foreign, 0))[0]);
            // unknown and unsupported requests: failure, connection stays usable
            assertEquals(AgentProtocol.SSH_AGENT_FAILURE, c.call(new byte[] {(byte) 200})[0]);
            assertEquals(AgentProtocol.SSH_AGENT_FAILURE, c.call(new byte[] {22, 0, 0, 0, 0})[0]); // lock
            assertEquals(AgentProtocol.SSH_AGENT_IDENTITIES_ANSWER, c.call(new byte[] {AgentProtocol.SSH_AGENTC_REQUEST_IDENTITIES})[0]);
        }
        try (Raw c = new Raw(sock)) {
            c.send(new SshWire.Writer().u32(AgentProtocol.MAX_MESSAGE + 1).u8(11).bytes());
            assertTrue(c.closedByAgent(), "an oversized length closes the connection");
        }
        try (Raw c = new Raw(sock)) {
            c.send(AgentProtocol.frame(new byte[] {AgentProtocol.SSH_AGENTC_SIGN_REQUEST, 0, 0, 0, 9, 1}));
            assertTrue(c.closedByAgent(), "a truncated sign request closes the connection");
        }
        audit.flush();
        List<String> outcomes = audit.read(e -> e.taskId().equals(TaskIds.of("task-r"))).stream().map(AuditLog.Entry::outcome).toList();
        assertEquals(List.of("refused_sha1", "ok", "unknown_key"), outcomes);
    }

    private static byte[] sign(byte[] blob, int flags) {
        return new SshWire.Writer().u8(AgentProtocol.SSH_AGENTC_SIGN_REQUEST).string(blob).string("data".getBytes()).u32(flags).bytes();
    }

    @Test
    void revocationCutsLiveConnectionsAndDeletesTheSocket() throws Exception {
        keys.add("proj-v", SshKey.Type.ED25519, 0, "", SshKeyStore.Use.TASK);
        Path dir = agents.openFor(TaskIds.of("task-v"), "proj-v").orElseThrow();
        Path sock = dir.resolve(SshAgents.SOCKET);
        try (Raw c = new Raw(sock)) {
            assertEquals(AgentProtocol.SSH_AGENT_IDENTITIES_ANSWER, c.call(new byte[] {AgentProtocol.SSH_AGENTC_REQUEST_IDENTITIES})[0]);
            assertTrue(agents.close(TaskIds.of("task-v")));
            assertTrue(c.closedByAgent(), "the live connection is cut");
        }
        assertFalse(Files.exists(sock));
        assertFalse(Files.exists(dir));
        assertTrue(keys.agents().isEmpty());
        assertNotEquals(0, ssh(sock, "ssh-add", "-l").code());
    }

    @Test
    void aRestartedVaultReopensTheAgentsOfLiveTasksAndClearsStaleOnes() throws Exception {
        keys.add("proj-s", SshKey.Type.ED25519, 0, "s", SshKeyStore.Use.TASK);
        Path dir = agents.openFor(TaskIds.of("task-live"), "proj-s").orElseThrow();
        Object inode = Files.readAttributes(dir, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        // A directory whose task is gone, with the socket a crashed process left behind.
        Path gone = agents.root().resolve("00000000deadbeef");
        Files.createDirectory(gone);
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(gone.resolve(SshAgents.SOCKET)));
        }
        assertTrue(Files.exists(gone.resolve(SshAgents.SOCKET)));

        // The process ends: sockets closed, the vault locked (a new process starts locked).
        agents.close();
        vault.lock();
        agents = new SshAgents(agents.root(), keys, vault, audit, Clock.systemUTC());
        assertFalse(Files.exists(gone.resolve(SshAgents.SOCKET)), "stale socket removed at start");
        assertTrue(Files.isDirectory(dir), "a live task's directory survives (its container has it mounted)");
        vault.onUnlock(agents::restore);
        vault.unlock("test-passphrase");

        assertFalse(Files.exists(gone), "the gone task's directory is removed once the registry is readable");
        assertEquals(inode, Files.readAttributes(dir, java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
                "the same directory (a container's mount keeps working)");
        String listed = ssh(dir.resolve(SshAgents.SOCKET), "ssh-add", "-l").ok().out();
        assertTrue(listed.contains(" s (ED25519)"), listed);
    }

    /** A raw agent client. */
    static final class Raw implements AutoCloseable {
        final SocketChannel ch;
        final DataInputStream in;

        Raw(Path sock) throws IOException {
            ch = SocketChannel.open(UnixDomainSocketAddress.of(sock));
            in = new DataInputStream(Channels.newInputStream(ch));
        }

        void send(byte[] b) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }

        byte[] call(byte[] msg) throws IOException {
            send(AgentProtocol.frame(msg));
            int n = in.readInt();
            return in.readNBytes(n);
        }

        boolean closedByAgent() {
            try {
                return in.read() == -1;
            } catch (IOException e) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
