package io.terok.gate.repo;

import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * The safe ref model of a project's mirror, and the ref operations every part of it uses.
 * <ul>
 * <li>{@code refs/heads/*}: what tasks see and push to. Sync only creates branches and fast-forwards them.</li>
 * <li>{@code refs/terok/upstream/*}: the upstream's heads as of the last fetch (forced and pruned). Hidden from
 * tasks, who can neither see nor write {@code refs/terok/}.</li>
 * <li>{@code refs/terok/backup/<branch>/<yyyyMMddTHHmmssZ>-<sha12>}: old tips saved before a branch was rewritten
 * or deleted (by a push, an applied pending operation or a restore).</li>
 * </ul>
 * An upstream rewrite or deletion of a branch becomes a pending operation; branches that exist only in the gate
 * are never touched. Every change is a compare-and-swap, so a push that lands meanwhile is never overwritten.
 */
public final class MirrorRefs {
    public static final String UPSTREAM = "refs/terok/upstream/";
    public static final String BACKUP = "refs/terok/backup/";
    public static final String HIDDEN = "refs/terok/";
    /** The upstream's tags as last fetched (forced, pruned); sync makes the gate's {@code refs/tags/} follow them. */
    public static final String UPSTREAM_TAGS = "refs/terok/upstream-tags/";
    /**
     * The only tags a task may push: new ones under {@code refs/tags/terok/<its task id>/}. No task moves or deletes
     * any tag, so every other tag in the gate is the upstream's, and sync keeps it equal to the upstream's.
     */
    public static final String TASK_TAGS = Constants.R_TAGS + "terok/";

    /** The tag namespace of task {@code taskId}. */
    public static String taskTags(String taskId) {
        return TASK_TAGS + taskId + "/";
    }

    private MirrorRefs() {
    }

    /** The tip of {@code branch}, or NOT_FOUND naming the project. */
    static ObjectId head(Repository repo, String project, String branch) throws IOException {
        Ref r = repo.exactRef(Constants.R_HEADS + branch);
        if (r == null) {
            throw ServiceException.notFound("project " + project + " has no branch " + Printable.line(branch));
        }
        return r.getObjectId();
    }

    /** The refs under {@code prefix}, by their name without it. */
    static Map<String, ObjectId> refs(Repository repo, String prefix) throws IOException {
        Map<String, ObjectId> out = new TreeMap<>();
        for (Ref r : repo.getRefDatabase().getRefsByPrefix(prefix)) {
            if (!r.isSymbolic() && r.getObjectId() != null) {
                out.put(r.getName().substring(prefix.length()), r.getObjectId());
            }
        }
        return out;
    }

    static boolean isAncestor(RevWalk walk, ObjectId ancestor, ObjectId tip) throws IOException {
        walk.reset();
        return walk.isMergedInto(walk.parseCommit(ancestor), walk.parseCommit(tip));
    }

    /** Sets {@code ref} to {@code next} if it still is {@code expected} (zero: absent); false if it moved. */
    static boolean cas(Repository repo, String ref, ObjectId expected, ObjectId next, String why) throws IOException {
        RefUpdate u = repo.updateRef(ref);
        u.setExpectedOldObjectId(expected);
        u.setNewObjectId(next);
        u.setForceUpdate(true);
        u.setRefLogMessage(why, false);
        RefUpdate.Result r = u.update();
        return r == RefUpdate.Result.NEW || r == RefUpdate.Result.FORCED || r == RefUpdate.Result.FAST_FORWARD
                || r == RefUpdate.Result.NO_CHANGE;
    }

    /** Deletes {@code ref} if it still is {@code expected}; false if it moved. */
    static boolean delete(Repository repo, String ref, ObjectId expected) throws IOException {
        RefUpdate u = repo.updateRef(ref);
        u.setExpectedOldObjectId(expected);
        u.setForceUpdate(true);
        RefUpdate.Result r = u.delete();
        return r == RefUpdate.Result.FORCED || r == RefUpdate.Result.NO_CHANGE;
    }

    static String branchOf(String ref) {
        return ref.startsWith(Constants.R_HEADS) ? ref.substring(Constants.R_HEADS.length()) : ref;
    }
}
