package io.terok.gate.repo;

import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.gate.repo.Records.Pending;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.jboss.logging.Logger;

/**
 * The destructive upstream changes (a branch rewritten or deleted upstream) that sync does not apply but queues for
 * the operator, who applies or drops each one. Applying saves the branch's tip as a backup first and refuses when
 * the branch moved since the operation was queued.
 */
public class ReviewQueue {
    private static final Logger LOG = Logger.getLogger(ReviewQueue.class);
    private final Projects projects;

    public ReviewQueue(Projects projects) {
        this.projects = projects;
    }

    public List<Pending> pending(String project) {
        projects.meta(project);
        return projects.pending(project);
    }

    public Pending apply(String project, String id) {
        return projects.locked(project, () -> {
            List<Pending> ops = new ArrayList<>(projects.pending(project));
            Pending op = find(ops, project, id);
            try (Repository repo = projects.open(project)) {
                Ref cur = repo.exactRef(op.ref());
                ObjectId expected = ObjectId.fromString(op.oldId());
                if (cur == null || !expected.equals(cur.getObjectId())) {
                    throw ServiceException.precondition(Printable.line(op.ref()) + " moved since operation " + id + " was queued (now "
                            + (cur == null ? "deleted" : cur.getObjectId().name()) + "); sync again");
                }
                Backups.save(repo, MirrorRefs.branchOf(op.ref()), expected);
                boolean ok = op.kind().equals("delete") ? MirrorRefs.delete(repo, op.ref(), expected)
                        : MirrorRefs.cas(repo, op.ref(), expected, ObjectId.fromString(op.newId()), "gate apply " + id);
                if (!ok) {
                    throw ServiceException.precondition(Printable.line(op.ref()) + " changed while applying " + id + "; sync again");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            ops.remove(op);
            projects.savePending(project, ops);
            LOG.infof("applied pending %s of %s: %s %s", id, project, op.kind(), Printable.line(op.ref()));
            return op.withStatus("applied");
        });
    }

    public Pending drop(String project, String id) {
        return projects.locked(project, () -> {
            List<Pending> ops = new ArrayList<>(projects.pending(project));
            Pending op = find(ops, project, id);
            ops.remove(op);
            projects.savePending(project, ops);
            LOG.infof("dropped pending %s of %s: %s %s", id, project, op.kind(), Printable.line(op.ref()));
            return op.withStatus("dropped");
        });
    }

    /**
     * Queues a rewrite or delete of {@code ref} (new id null for a delete) in {@code pending}, replacing what was
     * queued for that ref before; the same operation found again keeps its id.
     */
    static void queue(List<Pending> pending, String ref, String kind, ObjectId oldId, ObjectId newId) {
        String newName = newId == null ? "" : newId.name();
        for (Pending p : pending) {
            if (p.ref().equals(ref) && p.kind().equals(kind) && p.oldId().equals(oldId.name()) && p.newId().equals(newName)) {
                return;
            }
        }
        forget(pending, ref);
        pending.add(new Pending(UUID.randomUUID().toString().substring(0, 8), ref, kind, oldId.name(), newName,
                Instant.now().toString(), "pending"));
    }

    /** Forgets what was queued for {@code ref}: the gate and the upstream agree on it again. */
    static void forget(List<Pending> pending, String ref) {
        pending.removeIf(p -> p.ref().equals(ref));
    }

    private static Pending find(List<Pending> ops, String project, String id) {
        return ops.stream().filter(p -> p.id().equals(id)).findFirst()
                .orElseThrow(() -> ServiceException.notFound("no pending operation " + Printable.line(id) + " in project " + project));
    }
}
