package io.terok.vault.ssh;

import io.terok.common.Ids;
import io.terok.common.PrivateFiles;
import io.terok.common.ServiceException;
import io.terok.vault.Vault;
import io.terok.vault.broker.AuditLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The per-task SSH agents. Layout on the host, under the vault's runtime directory:
 * <pre>
 *   vault-ssh/                 0700  keeps every other host user out
 *     &lt;sha256(task)[:16]&gt;/   0711  bind-mounted into the task's container at {@value #CONTAINER_DIR}
 *       agent.sock             0666  connect(2) needs write permission on the socket
 * </pre>
 * The directory, not the socket file, is what the container mounts: a socket re-created after a vault restart is
 * a new inode, which a file bind mount would never see, while a directory mount shows it. The directory is only
 * ever deleted when its task is revoked. Which tasks have an agent is kept in the database ({@code ssh_agents}),
 * so after a restart the vault re-opens them as soon as it is unlocked; sockets left by a previous process are
 * deleted at start, directories of tasks no longer registered at unlock. See docs/threat-model.md for the modes.
 */
public final class SshAgents implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SshAgents.class);
    public static final String CONTAINER_DIR = "/run/terok/ssh-agent";
    public static final String SOCKET = "agent.sock";
    public static final String CONTAINER_SOCKET = CONTAINER_DIR + "/" + SOCKET;

    private final Path root;
    private final SshKeyStore keys;
    private final Vault vault;
    private final AuditLog audit;
    private final Clock clock;
    private final Map<String, AgentSocket> open = new ConcurrentHashMap<>();

    public SshAgents(Path root, SshKeyStore keys, Vault vault, AuditLog audit, Clock clock) {
        this.root = root;
        this.keys = keys;
        this.vault = vault;
        this.audit = audit;
        this.clock = clock;
        prepare();
    }

    public Path root() {
        return root;
    }

    /** The host directory that holds a task's socket. Hashed: a socket path must stay under 108 bytes. */
    public Path dirOf(String taskId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(taskId.getBytes(StandardCharsets.UTF_8));
            return root.resolve(HexFormat.of().formatHex(h, 0, 8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void prepare() {
        try {
            PrivateFiles.directory(root);
            // No agent is open in a fresh process: every socket here is stale. The directories stay (a live
            // container may have one mounted) until the registry says whether their task is still alive.
            try (Stream<Path> dirs = Files.list(root)) {
                for (Path d : dirs.toList()) {
                    if (Files.deleteIfExists(d.resolve(SOCKET))) {
                        LOG.infof("removed stale ssh agent socket %s", d.resolve(SOCKET));
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("cannot prepare " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens the agent of a task whose project has SSH keys; nothing (empty) when the project has none. Idempotent.
     *
     * @return the host directory to mount at {@link #CONTAINER_DIR}
     */
    public Optional<Path> openFor(String taskId, String project) {
        Ids.taskId("task_id", taskId);
        if (project == null || project.isEmpty()) {
            return Optional.empty();
        }
        Ids.project("project", project);
        if (!keys.hasKeys(project, SshKeyStore.Use.TASK)) {
            return Optional.empty();
        }
        keys.recordAgent(taskId, project);
        try {
            return Optional.of(start(taskId, project));
        } catch (RuntimeException e) {
            keys.dropAgent(taskId);
            throw e;
        }
    }

    private synchronized Path start(String taskId, String project) {
        Path dir = dirOf(taskId);
        AgentSocket existing = open.get(taskId);
        if (existing != null) {
            return dir;
        }
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectory(dir);
            }
            // 0711: in a rootful container with userns=auto the task's uid is a stranger to the owner (see the class doc).
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            AgentSocket s = new AgentSocket(dir.resolve(SOCKET), taskId, new AgentProtocol(backend(taskId, project, SshKeyStore.Use.TASK, keys, vault, audit, clock)), "rw-rw-rw-");
            open.put(taskId, s);
            LOG.infof("ssh agent opened for task %s (project %s) at %s", taskId, project, s.path());
            return dir;
        } catch (IOException e) {
            throw new ServiceException(ServiceException.Kind.INTERNAL, "cannot open the ssh agent socket in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Closes a task's agent (live connections are cut), deletes its socket and directory, forgets it. Idempotent. */
    public boolean close(String taskId) {
        boolean had = stop(taskId);
        Path dir = dirOf(taskId);
        delete(dir);
        boolean registered = keys.dropAgent(taskId);
        if (had || registered) {
            LOG.infof("ssh agent of task %s closed", taskId);
        }
        return had || registered;
    }

    private synchronized boolean stop(String taskId) {
        AgentSocket s = open.remove(taskId);
        if (s != null) {
            s.close();
        }
        return s != null;
    }

    /** After an unlock: re-open the agents of registered tasks, delete directories nobody is registered for. */
    public void restore() {
        Map<String, String> live = keys.agents();
        for (Map.Entry<String, String> e : live.entrySet()) {
            try {
                start(e.getKey(), e.getValue());
            } catch (RuntimeException ex) {
                LOG.errorf("cannot re-open the ssh agent of task %s: %s", e.getKey(), ex.getMessage());
            }
        }
        List<Path> wanted = live.keySet().stream().map(this::dirOf).toList();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.toList()) {
                if (!wanted.contains(d)) {
                    delete(d);
                    LOG.infof("removed the ssh agent directory %s of a task that is gone", d);
                }
            }
        } catch (IOException e) {
            LOG.warnf("cannot list %s: %s", root, e.getMessage());
        }
    }

    private static void delete(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve(SOCKET));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.warnf("cannot delete %s: %s", dir, e.getMessage());
        }
    }

    /** Open agents (tests, status). */
    public Map<String, Path> openAgents() {
        Map<String, Path> m = new java.util.TreeMap<>();
        open.forEach((t, s) -> m.put(t, s.path()));
        return m;
    }

    /**
     * What an agent answers for {@code project}: its keys (none while the vault is locked), each signature read fresh
     * from the database and audited under {@code taskId} (a task id, or {@code gate:<project>} for the gate's agents).
     * Only keys of {@code use} exist for it: a task's agent never lists or signs with a gate key, and the other way round.
     */
    static AgentProtocol.Backend backend(String taskId, String project, SshKeyStore.Use use, SshKeyStore keys, Vault vault,
                                         AuditLog audit, Clock clock) {
        return new AgentProtocol.Backend() {
            @Override
            public List<AgentProtocol.Identity> identities() {
                if (!vault.unlocked()) {
                    return List.of();
                }
                try {
                    return keys.identities(project, use);
                } catch (ServiceException e) {
                    return List.of();
                }
            }

            @Override
            public byte[] sign(byte[] keyBlob, byte[] data, int flags) {
                long start = clock.millis();
                String fp = SshKey.fingerprint(keyBlob);
                String outcome;
                byte[] sig = null;
                String alg = "";
                try {
                    Optional<SshKeyStore.Loaded> k = keys.keysFor(project, use).stream()
                            .filter(l -> Arrays.equals(l.key().publicBlob(), keyBlob)).findFirst();
                    if (k.isEmpty()) {
                        outcome = "unknown_key";
                    } else {
                        sig = k.get().key().sign(data, flags);
                        alg = new SshWire.Reader(sig).utf8();
                        outcome = "ok";
                    }
                } catch (SshKey.Refused e) {
                    outcome = e.outcome;
                } catch (ServiceException e) {
                    outcome = e.kind() == ServiceException.Kind.PRECONDITION ? "vault_locked" : "internal_error";
                } catch (RuntimeException e) {
                    LOG.errorf(e, "ssh agent of task %s: signing with %s failed", taskId, fp);
                    outcome = "internal_error";
                }
                audit.record(new AuditLog.Entry(Instant.ofEpochMilli(clock.millis()), taskId, "", "ssh-agent", "SIGN",
                        fp + (alg.isEmpty() ? "" : " " + alg), sig == null ? AgentProtocol.SSH_AGENT_FAILURE : AgentProtocol.SSH_AGENT_SIGN_RESPONSE,
                        outcome, clock.millis() - start));
                LOG.infof("ssh agent of task %s: sign with %s -> %s", taskId, fp, outcome);
                return sig;
            }
        };
    }

    @Override
    public synchronized void close() {
        open.values().forEach(AgentSocket::close);
        open.clear();
    }

}
