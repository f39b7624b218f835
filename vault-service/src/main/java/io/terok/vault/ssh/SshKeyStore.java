package io.terok.vault.ssh;

import io.terok.common.Ids;
import io.terok.common.ServiceException;
import io.terok.vault.VaultStorage;
import io.terok.vault.store.SshAgentRow;
import io.terok.vault.store.SshKeyRow;
import io.terok.vault.store.Sql;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The vault's SSH keys and their projects (tables {@code ssh_keys}, {@code ssh_key_projects}), and the registry of
 * tasks that have an agent ({@code ssh_agents}). Keys are deduplicated by fingerprint: adding a key a second time
 * assigns it to one more project. Private keys are read from the database for each use, never cached.
 */
public final class SshKeyStore {
    private static final Logger LOG = Logger.getLogger(SshKeyStore.class);
    private static final int MAX_COMMENT = 200;

    /**
     * What a key is for. A gate key signs only for the gate's sync and forward and is never in a task's agent (a task
     * holding the key the gate forwards with could push past review); a task key is offered to the tasks of the
     * projects it is assigned to (the assignment is the explicit grant) and never used by the gate.
     */
    public enum Use {
        GATE("gate"), TASK("task");

        public final String dbName;

        Use(String dbName) {
            this.dbName = dbName;
        }

        public static Use ofDb(String s) {
            return "task".equals(s) ? TASK : GATE; // anything unknown: the closed side
        }
    }

    /** A stored key as the API shows it: never the private half. */
    public record Info(long id, String project, SshKey.Type type, String fingerprint, String comment, String publicLine,
                       long createdAt, Use use) {
    }

    /** A project's key ready to sign. */
    public record Loaded(long id, SshKey key) {
    }

    private final VaultStorage storage;
    private final Clock clock;

    public SshKeyStore(VaultStorage storage, Clock clock) {
        this.storage = storage;
        this.clock = clock;
    }

    private static String checkComment(String comment) {
        String c = comment == null ? "" : comment;
        if (c.length() > MAX_COMMENT || c.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            throw ServiceException.invalid("comment", "at most " + MAX_COMMENT + " printable characters");
        }
        return c;
    }

    /** Generates a key for a project: ed25519, or RSA with {@code bits} (0: {@value SshKey#DEFAULT_RSA_BITS}). */
    public Info add(String project, SshKey.Type type, int bits, String comment, Use use) {
        Ids.project("project", project);
        String c = checkComment(comment == null || comment.isEmpty() ? "terok:" + project : comment);
        if (type == SshKey.Type.ED25519 && bits != 0) {
            throw ServiceException.invalid("bits", "only for RSA keys (ed25519 keys have a fixed size)");
        }
        int b = type == SshKey.Type.RSA && bits == 0 ? SshKey.DEFAULT_RSA_BITS : bits;
        if (type == SshKey.Type.RSA) {
            SshKey.checkRsaBits("bits", b);
        }
        storage.requireOpen(); // a locked vault refuses before the (slow) RSA generation
        SshKey key = SshKey.generate(type, b, c);
        Info info = store(project, key, use);
        LOG.infof("ssh key generated for project %s (%s use): %s", project, use.dbName, key);
        return info;
    }

    /** Imports an OpenSSH private key for a project; {@code comment} (when given) replaces the file's comment. */
    public Info importKey(String project, String privateKeyText, String comment, Use use) {
        Ids.project("project", project);
        SshKey key = SshKey.parseOpenSsh(privateKeyText);
        if (comment != null && !comment.isEmpty()) {
            key = key.withComment(checkComment(comment));
        } else {
            key = key.withComment(checkComment(key.comment().isEmpty() ? "terok:" + project : key.comment()));
        }
        Info info = store(project, key, use);
        LOG.infof("ssh key imported for project %s (%s use): %s", project, use.dbName, key);
        return info;
    }

    private Info store(String project, SshKey key, Use use) {
        String fp = key.fingerprint();
        long now = clock.millis();
        SshKey k = key;
        return storage.inTransaction(s -> {
            SshKeyRow row = SshKeyRow.byFingerprint(s, fp);
            if (row == null) {
                row = new SshKeyRow();
                row.keyType = k.type().dbName;
                row.privateKey = k.toOpenSsh().getBytes(StandardCharsets.UTF_8);
                row.publicKey = k.publicBlob();
                row.fingerprint = fp;
                row.comment = k.comment();
                row.createdAt = now;
                row.use = use.dbName;
                row.insert(s);
            } else if (!row.use.equals(use.dbName)) {
                // One key, one use: a gate key granted to a task of another project would still push to this one's upstream.
                throw ServiceException.precondition("key " + fp + " is already in the vault (id " + row.id + ") as a " + row.use
                        + " key; a key has one use for all its projects: change it with `terok ssh use " + row.id + " "
                        + use.dbName + "` if that is what you mean");
            }
            Sql.update(s, "INSERT OR IGNORE INTO ssh_key_projects (project, key_id) VALUES (?, ?)", project, row.id);
            return info(row, project);
        });
    }

    /** One entry per (key, project); all projects when {@code project} is empty. */
    public List<Info> list(String project) {
        if (project != null && !project.isEmpty()) {
            Ids.project("project", project);
        }
        return storage.inTransaction(s -> {
            List<Info> out = new ArrayList<>();
            for (Assignment a : assignments(s, project)) {
                SshKeyRow row = SshKeyRow.find(s, a.keyId());
                if (row != null) {
                    out.add(info(row, a.project()));
                }
            }
            return out;
        });
    }

    /** A key given to a project. */
    private record Assignment(String project, long keyId) {
    }

    private static List<Assignment> assignments(Connection c, String project) throws SQLException {
        boolean all = project == null || project.isEmpty();
        Sql.RowReader<Assignment> read = r -> new Assignment(r.getString("project"), r.getLong("key_id"));
        return all ? Sql.list(c, "SELECT project, key_id FROM ssh_key_projects ORDER BY project, key_id", read)
                : Sql.list(c, "SELECT project, key_id FROM ssh_key_projects WHERE project = ? ORDER BY project, key_id", read, project);
    }

    /** Whether the project has a key of this use. */
    public boolean hasKeys(String project, Use use) {
        return !identities(project, use).isEmpty();
    }

    /** Changes a key's use for all its projects; the agents read keys per request, so running tasks see it at once. */
    public List<Info> setUse(long id, Use use) {
        return storage.inTransaction(s -> {
            SshKeyRow row = SshKeyRow.find(s, id);
            if (row == null) {
                throw new ServiceException(ServiceException.Kind.NOT_FOUND, "id: no ssh key " + id + " (see `terok ssh list`)");
            }
            row.use = use.dbName;
            SshKeyRow.setUse(s, id, use.dbName);
            List<Info> out = new ArrayList<>();
            for (Assignment a : assignments(s, "")) {
                if (a.keyId() == id) {
                    out.add(info(row, a.project()));
                }
            }
            LOG.infof("ssh key %d %s is now a %s key", id, row.fingerprint, use.dbName);
            return out;
        });
    }

    private List<Assignment> assignments(String project) {
        return storage.inTransaction(s -> assignments(s, project));
    }

    /** The key's public line, and its private key file when asked for explicitly. */
    public record Exported(String publicLine, Optional<String> privateKey) {
    }

    public Exported export(long id, boolean includePrivate) {
        SshKeyRow row = storage.inTransaction(s -> SshKeyRow.find(s, id));
        if (row == null) {
            throw new ServiceException(ServiceException.Kind.NOT_FOUND, "id: no ssh key " + id + " (see `terok ssh list`)");
        }
        SshKey key = SshKey.fromStored(row.privateKey).withComment(row.comment);
        if (includePrivate) {
            LOG.warnf("PRIVATE ssh key exported: id %d %s", id, row.fingerprint);
            return new Exported(key.publicLine(), Optional.of(key.toOpenSsh()));
        }
        return new Exported(key.publicLine(), Optional.empty());
    }

    /** Deletes a key and its project assignments. */
    public boolean remove(long id) {
        boolean removed = storage.inTransaction(s -> {
            Sql.update(s, "DELETE FROM ssh_key_projects WHERE key_id = ?", id);
            return SshKeyRow.delete(s, id);
        });
        if (removed) {
            LOG.infof("ssh key %d removed", id);
        }
        return removed;
    }

    /** A project's keys of one use with their private halves, for the agent; read fresh each time. */
    public List<Loaded> keysFor(String project, Use use) {
        return storage.inTransaction(s -> {
            List<Loaded> out = new ArrayList<>();
            for (Assignment a : assignments(s, project)) {
                SshKeyRow row = SshKeyRow.find(s, a.keyId());
                if (row != null && row.use.equals(use.dbName)) {
                    out.add(new Loaded(row.id, SshKey.fromStored(row.privateKey).withComment(row.comment)));
                }
            }
            return out;
        });
    }

    /** The identities of a project's keys of one use, without loading private keys. */
    public List<AgentProtocol.Identity> identities(String project, Use use) {
        return storage.inTransaction(s -> {
            List<AgentProtocol.Identity> out = new ArrayList<>();
            for (Assignment a : assignments(s, project)) {
                SshKeyRow row = SshKeyRow.find(s, a.keyId());
                if (row != null && row.use.equals(use.dbName)) {
                    out.add(new AgentProtocol.Identity(row.publicKey, row.comment));
                }
            }
            return out;
        });
    }

    // ------------------------------------------------------------------------------------------------ agents

    public void recordAgent(String taskId, String project) {
        long now = clock.millis();
        storage.inTransaction(s -> {
            SshAgentRow row = new SshAgentRow();
            row.taskId = taskId;
            row.createdAt = now;
            row.project = project;
            row.upsert(s);
            return null;
        });
    }

    public boolean dropAgent(String taskId) {
        return storage.inTransaction(s -> SshAgentRow.delete(s, taskId));
    }

    /** Task → project of every agent that should be open. */
    public Map<String, String> agents() {
        return storage.inTransaction(s -> {
            Map<String, String> out = new LinkedHashMap<>();
            SshAgentRow.all(s).forEach(r -> out.put(r.taskId, r.project));
            return out;
        });
    }

    private static Info info(SshKeyRow row, String project) {
        SshKey.Type t = SshKey.Type.ofDb(row.keyType);
        String line = t.wireName + " " + java.util.Base64.getEncoder().encodeToString(row.publicKey) + (row.comment.isEmpty() ? "" : " " + row.comment);
        return new Info(row.id, project, t, row.fingerprint, row.comment, line, row.createdAt, Use.ofDb(row.use));
    }
}
