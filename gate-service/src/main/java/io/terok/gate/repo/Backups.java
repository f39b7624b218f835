package io.terok.gate.repo;

import static io.terok.gate.repo.MirrorRefs.BACKUP;

import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.gate.repo.Records.Backup;
import io.terok.gate.repo.Records.Update;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.jboss.logging.Logger;

/**
 * The old tips of rewritten or deleted branches, kept as {@code refs/terok/backup/<branch>/<time>-<sha12>}: saved
 * before a force-push, a delete, an applied pending operation or a restore; listed and restored for the operator;
 * pruned at sync once older than the retention.
 */
public class Backups {
    private static final Logger LOG = Logger.getLogger(Backups.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Pattern BACKUP_REF = Pattern.compile("refs/terok/backup/(.+)/(\\d{8}T\\d{6}Z)-([0-9a-f]{12})(-\\d+)?");

    private final Projects projects;
    private final Duration retention;

    /** @param retention backups older than this are pruned at sync; zero keeps them forever */
    public Backups(Projects projects, Duration retention) {
        this.projects = projects;
        this.retention = retention;
    }

    /** Saves {@code tip} as a backup of {@code branch}; returns the backup ref. Used by pushes too. */
    public static String save(Repository repo, String branch, ObjectId tip) throws IOException {
        String base = BACKUP + branch + "/" + STAMP.format(Instant.now()) + "-" + tip.name().substring(0, 12);
        String name = base;
        for (int i = 1; repo.exactRef(name) != null; i++) {
            if (tip.equals(repo.exactRef(name).getObjectId())) {
                return name;
            }
            name = base + "-" + i;
        }
        if (!MirrorRefs.cas(repo, name, ObjectId.zeroId(), tip, "gate backup of " + branch)) {
            throw new IOException("cannot write backup ref " + name);
        }
        return name;
    }

    public List<Backup> list(String project) {
        projects.meta(project);
        try (Repository repo = projects.open(project)) {
            List<Backup> out = new ArrayList<>();
            for (Ref r : repo.getRefDatabase().getRefsByPrefix(BACKUP)) {
                Matcher m = BACKUP_REF.matcher(r.getName());
                if (m.matches()) {
                    out.add(new Backup(r.getName(), m.group(1), r.getObjectId().name(), stampTime(m.group(2)).toString()));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sets the backup's branch back to the backup, saving the branch's current tip first. */
    public Update restore(String project, String backupRef) {
        return projects.locked(project, () -> {
            Matcher m = BACKUP_REF.matcher(backupRef == null ? "" : backupRef);
            if (!m.matches()) {
                throw ServiceException.invalid("backup_ref", "'" + Printable.line(backupRef) + "' is not a backup ref (" + BACKUP + "<branch>/<time>-<sha>)");
            }
            try (Repository repo = projects.open(project)) {
                Ref b = repo.exactRef(backupRef);
                if (b == null) {
                    throw ServiceException.notFound("no backup " + Printable.line(backupRef) + " in project " + project);
                }
                String ref = Constants.R_HEADS + m.group(1);
                Ref cur = repo.exactRef(ref);
                ObjectId old = cur == null ? ObjectId.zeroId() : cur.getObjectId();
                if (cur != null && !old.equals(b.getObjectId())) {
                    save(repo, m.group(1), old);
                }
                if (!MirrorRefs.cas(repo, ref, old, b.getObjectId(), "gate restore " + backupRef)) {
                    throw ServiceException.precondition(Printable.line(ref) + " moved while restoring; try again");
                }
                LOG.infof("restored %s of %s from %s", Printable.line(ref), project, Printable.line(backupRef));
                return new Update(ref, cur == null ? "" : old.name(), b.getObjectId().name(), "restore");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Deletes the backups older than the retention (the caller holds the project's lock). */
    void prune(Repository repo) throws IOException {
        if (retention.isZero() || retention.isNegative()) {
            return;
        }
        Instant cutoff = Instant.now().minus(retention);
        for (Ref r : repo.getRefDatabase().getRefsByPrefix(BACKUP)) {
            Matcher m = BACKUP_REF.matcher(r.getName());
            if (m.matches() && stampTime(m.group(2)).isBefore(cutoff)) {
                MirrorRefs.delete(repo, r.getName(), r.getObjectId());
            }
        }
    }

    private static Instant stampTime(String stamp) {
        return STAMP.parse(stamp, Instant::from);
    }
}
