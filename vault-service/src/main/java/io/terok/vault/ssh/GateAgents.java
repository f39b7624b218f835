package io.terok.vault.ssh;

import io.terok.common.Ids;
import io.terok.common.PrivateFiles;
import io.terok.common.ServiceException;
import io.terok.vault.Vault;
import io.terok.vault.broker.AuditLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Short-lived SSH agents for gate-service's own fetches and pushes of a project's upstream (never for a task).
 * <pre>
 *   vault-gate-ssh/        0700  the vault's (and the gate's: same user) only
 *     &lt;agent id&gt;.sock   0600  one agent per gate operation, serving that project's keys only
 * </pre>
 * The gate opens one right before it runs {@code ssh} and closes it right after; an agent the gate forgot is closed
 * when it has been idle (no connection, no request) for {@code idle}, and in any case {@code maxLifetime} after it
 * was opened. Nothing is registered in the database: a restarted vault deletes every socket it finds here (none of
 * them is served any more) and the gate simply opens a new agent for its next operation. Sign requests are audited
 * with the task field {@code gate:<project>}; so are the opening and the closing.
 */
public final class GateAgents implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GateAgents.class);
    public static final String AUDIT_PREFIX = "gate:";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** An open agent: its id (to close it), its socket, the fingerprints it serves. */
    public record Opened(String id, Path socket, List<String> fingerprints, Instant expiresAt) {
    }

    private record Live(AgentSocket socket, String project, String purpose, long openedNanos, Instant expiresAt) {
    }

    private final Path root;
    private final SshKeyStore keys;
    private final Vault vault;
    private final AuditLog audit;
    private final Clock clock;
    private final Duration idle;
    private final Duration maxLifetime;
    private final Map<String, Live> open = new ConcurrentHashMap<>();
    private final ScheduledExecutorService reaper;

    public GateAgents(Path root, SshKeyStore keys, Vault vault, AuditLog audit, Clock clock, Duration idle, Duration maxLifetime) {
        this.root = root;
        this.keys = keys;
        this.vault = vault;
        this.audit = audit;
        this.clock = clock;
        this.idle = idle;
        this.maxLifetime = maxLifetime;
        prepare();
        reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gate-ssh-agent-reaper");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(200, Math.min(5000, idle.toMillis() / 4));
        reaper.scheduleWithFixedDelay(this::reap, period, period, TimeUnit.MILLISECONDS);
    }

    public Path root() {
        return root;
    }

    private void prepare() {
        try {
            PrivateFiles.directory(root);
            try (Stream<Path> files = Files.list(root)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                    LOG.infof("removed stale gate ssh agent socket %s", f);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("cannot prepare " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens an agent that serves the keys of {@code project}. Refused, naming the fix, while the vault is locked and
     * when the project has no key.
     *
     * @param purpose what the gate is about to do (sync, forward): audited, not interpreted
     */
    public Opened open(String project, String purpose) {
        Ids.project("project", project);
        String why = purpose == null || purpose.isEmpty() ? "gate" : purpose;
        if (why.length() > 32 || !why.matches("[a-z0-9_-]+")) {
            throw ServiceException.invalid("purpose", "at most 32 characters of [a-z0-9_-]");
        }
        if (!vault.unlocked()) {
            throw ServiceException.precondition("the vault is locked, so the gate cannot use the SSH key of project " + project
                    + ": run `terok vault unlock`");
        }
        List<AgentProtocol.Identity> ids = keys.identities(project, SshKeyStore.Use.GATE);
        if (ids.isEmpty()) {
            throw ServiceException.precondition("project " + project + " has no gate SSH key in the vault: run `terok ssh add " + project
                    + "` (or `terok ssh import " + project + " FILE`) and add its public key to the upstream's deploy keys"
                    + " (task keys are never used by the gate)");
        }
        byte[] raw = new byte[12];
        RANDOM.nextBytes(raw);
        String id = HexFormat.of().formatHex(raw);
        Path sock = root.resolve(id + ".sock");
        String auditName = AUDIT_PREFIX + project;
        AgentSocket s;
        try {
            // 0600: only the vault's user (the gate runs as that user too) may connect; nothing is ever mounted.
            s = new AgentSocket(sock, auditName, new AgentProtocol(SshAgents.backend(auditName, project, SshKeyStore.Use.GATE, keys, vault, audit, clock)), "rw-------");
        } catch (IOException e) {
            throw new ServiceException(ServiceException.Kind.INTERNAL, "cannot open a gate ssh agent in " + root + ": " + e.getMessage(), e);
        }
        Instant expires = clock.instant().plus(maxLifetime);
        open.put(id, new Live(s, project, why, System.nanoTime(), expires));
        record(auditName, "OPEN", why, "ok");
        LOG.infof("gate ssh agent %s opened for project %s (%s)", id, project, why);
        return new Opened(id, sock, ids.stream().map(i -> SshKey.fingerprint(i.publicBlob())).toList(), expires);
    }

    /** Closes an agent (live connections are cut) and deletes its socket. Idempotent: false when it was not open. */
    public boolean close(String id) {
        if (id == null || !id.matches("[0-9a-f]{24}")) {
            throw ServiceException.invalid("agent_id", "not an agent id (24 hex digits)");
        }
        return close(id, "closed");
    }

    private boolean close(String id, String outcome) {
        Live l = open.remove(id);
        if (l == null) {
            return false;
        }
        l.socket().close();
        record(AUDIT_PREFIX + l.project(), "CLOSE", l.purpose(), outcome);
        LOG.infof("gate ssh agent %s of project %s %s", id, l.project(), outcome);
        return true;
    }

    private void reap() {
        try {
            long now = System.nanoTime();
            for (Map.Entry<String, Live> e : open.entrySet()) {
                Live l = e.getValue();
                if (now - l.openedNanos() > maxLifetime.toNanos()) {
                    close(e.getKey(), "expired");
                } else if (l.socket().connections() == 0 && now - l.socket().lastActivity() > idle.toNanos()) {
                    close(e.getKey(), "idle");
                }
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "closing idle gate ssh agents failed");
        }
    }

    private void record(String auditName, String method, String purpose, String outcome) {
        audit.record(new AuditLog.Entry(clock.instant(), auditName, "", "ssh-agent", method, purpose, 0, outcome, 0));
    }

    /** Open agents by id with their project (tests, status). */
    public Map<String, String> openAgents() {
        Map<String, String> m = new TreeMap<>();
        open.forEach((id, l) -> m.put(id, l.project()));
        return m;
    }

    @Override
    public void close() {
        reaper.shutdownNow();
        for (String id : List.copyOf(open.keySet())) {
            close(id, "closed at shutdown");
        }
    }
}
