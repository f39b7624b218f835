package io.terok.gate.repo;

import static io.terok.gate.repo.MirrorRefs.UPSTREAM;

import io.terok.common.Ids;
import io.terok.common.ServiceException;
import io.terok.gate.repo.Records.LogEntry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.diff.DiffEntry;
import org.eclipse.jgit.diff.DiffFormatter;
import org.eclipse.jgit.diff.RawText;
import org.eclipse.jgit.lib.AbbreviatedObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.revwalk.filter.RevFilter;
import org.eclipse.jgit.treewalk.AbstractTreeIterator;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.EmptyTreeIterator;
import org.eclipse.jgit.util.io.NullOutputStream;

/** What a branch has that the upstream does not, for review: its commits and its patch. Reads only. */
public class History {
    private static final int MAX_LOG = 1000;
    /**
     * The most commits a review lists (each with its files); a longer range is refused for review and for forward
     * alike, so forward never sends a commit the review could not list.
     */
    public static final int MAX_REVIEW_COMMITS = 5000;
    /** Files listed per commit in a review; more are counted in a last line, never dropped silently. */
    private static final int MAX_FILES_PER_COMMIT = 200;
    private static final int MAX_PATCH = 3 * 1024 * 1024;
    private final Projects projects;

    /**
     * One review: the patch of {@code commit} against its merge base with the upstream, every commit that forwarding
     * {@code commit} would send (newest first), the binary files and the files whose patch was left out.
     */
    public record Review(String patch, String commit, String upstreamCommit, List<ReviewedCommit> commits,
            List<String> binaryFiles, List<String> omittedFiles) {
    }

    public record ReviewedCommit(LogEntry entry, List<String> files) {
    }

    public History(Projects projects) {
        this.projects = projects;
    }

    /** The commits of {@code branch} not in the upstream branch {@code against} (default: the same name), newest first. */
    public List<LogEntry> log(String project, String branch, String against) {
        String b = Ids.branch("branch", branch);
        String a = against == null || against.isEmpty() ? b : Ids.branch("against", against);
        try (Repository repo = projects.open(project); RevWalk walk = new RevWalk(repo)) {
            ObjectId tip = MirrorRefs.head(repo, project, b);
            walk.markStart(walk.parseCommit(tip));
            Ref up = repo.exactRef(UPSTREAM + a);
            if (up != null) {
                walk.markUninteresting(walk.parseCommit(up.getObjectId()));
            }
            List<LogEntry> out = new ArrayList<>();
            for (RevCommit c : walk) {
                out.add(entry(c));
                if (out.size() >= MAX_LOG) {
                    break;
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The commits a forward of {@code tip} sends: those no upstream branch has (as of the last sync), newest first,
     * whatever upstream branch the review compares with or the forward goes to. Refused when there are more than
     * {@link #MAX_REVIEW_COMMITS}, for a review must list every commit a forward sends.
     */
    static List<RevCommit> range(Repository repo, RevWalk walk, ObjectId tip, String what) throws IOException {
        walk.reset();
        walk.setRevFilter(RevFilter.ALL);
        walk.markStart(walk.parseCommit(tip));
        for (ObjectId up : MirrorRefs.refs(repo, UPSTREAM).values()) {
            walk.markUninteresting(walk.parseCommit(up));
        }
        List<RevCommit> out = new ArrayList<>();
        for (RevCommit c : walk) {
            if (out.size() == MAX_REVIEW_COMMITS) {
                throw ServiceException.precondition("refusing to " + what + ": more than " + MAX_REVIEW_COMMITS
                        + " commits are not upstream yet, too many to list for review; forward them in smaller steps"
                        + " (push an intermediate commit to a branch of its own and review that)");
            }
            out.add(c);
        }
        return out;
    }

    /** The review of the branch as it is now: its patch against the merge base with the upstream branch, and its commits. */
    public Review diff(String project, String branch, String against) {
        String b = Ids.branch("branch", branch);
        String a = against == null || against.isEmpty() ? b : Ids.branch("against", against);
        try (Repository repo = projects.open(project); RevWalk walk = new RevWalk(repo); ObjectReader reader = repo.newObjectReader()) {
            RevCommit tip = walk.parseCommit(MirrorRefs.head(repo, project, b));
            Ref up = repo.exactRef(UPSTREAM + a);
            ObjectId upId = up == null ? null : up.getObjectId();
            List<ReviewedCommit> commits = new ArrayList<>();
            for (RevCommit c : range(repo, walk, tip, "review " + b)) {
                commits.add(new ReviewedCommit(entry(c), changedFiles(repo, reader, walk, c)));
            }
            RevCommit base = null;
            if (upId != null) {
                walk.reset();
                walk.setRevFilter(RevFilter.MERGE_BASE);
                walk.markStart(walk.parseCommit(tip));
                walk.markStart(walk.parseCommit(upId));
                base = walk.next();
                walk.reset();
                walk.setRevFilter(RevFilter.ALL);
            }
            List<String> binary = new ArrayList<>();
            List<String> omitted = new ArrayList<>();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (DiffFormatter f = new DiffFormatter(out)) {
                f.setRepository(repo);
                AbstractTreeIterator from = base == null ? new EmptyTreeIterator() : new CanonicalTreeParser(null, reader, walk.parseTree(base.getTree()));
                for (DiffEntry e : f.scan(from, new CanonicalTreeParser(null, reader, walk.parseTree(tip.getTree())))) {
                    if (isBinary(reader, e)) {
                        binary.add(path(e));
                    }
                    ByteArrayOutputStream one = new ByteArrayOutputStream();
                    try (DiffFormatter g = new DiffFormatter(one)) {
                        g.setRepository(repo);
                        g.format(e);
                    }
                    if (out.size() + one.size() > MAX_PATCH) {
                        omitted.add(path(e));
                    } else {
                        one.writeTo(out);
                    }
                }
            }
            return new Review(out.toString(StandardCharsets.UTF_8), tip.name(), upId == null ? "" : upId.name(), commits, binary, omitted);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static LogEntry entry(RevCommit c) {
        return new LogEntry(c.name(), c.getAuthorIdent().getName() + " <" + c.getAuthorIdent().getEmailAddress() + ">",
                c.getAuthorIdent().getWhenAsInstant().toString(), c.getShortMessage());
    }

    /** What {@code c} changes against its first parent (everything for a root commit), as "A path", "M path", ... */
    private static List<String> changedFiles(Repository repo, ObjectReader reader, RevWalk walk, RevCommit c) throws IOException {
        List<String> out = new ArrayList<>();
        try (DiffFormatter f = new DiffFormatter(NullOutputStream.INSTANCE)) {
            f.setRepository(repo);
            AbstractTreeIterator from = c.getParentCount() == 0 ? new EmptyTreeIterator()
                    : new CanonicalTreeParser(null, reader, walk.parseCommit(c.getParent(0)).getTree());
            List<DiffEntry> entries = f.scan(from, new CanonicalTreeParser(null, reader, c.getTree()));
            for (DiffEntry e : entries) {
                if (out.size() == MAX_FILES_PER_COMMIT) {
                    out.add("... and " + (entries.size() - MAX_FILES_PER_COMMIT) + " more files (see `terok gate path` and git show " + c.name() + ")");
                    break;
                }
                out.add(e.getChangeType().name().charAt(0) + " " + path(e));
            }
        }
        return out;
    }

    private static String path(DiffEntry e) {
        return switch (e.getChangeType()) {
            case DELETE -> e.getOldPath();
            case RENAME, COPY -> e.getOldPath() + " -> " + e.getNewPath();
            default -> e.getNewPath();
        };
    }

    /** Whether either side of {@code e} is a blob git would show as binary. */
    private static boolean isBinary(ObjectReader reader, DiffEntry e) throws IOException {
        return isBinary(reader, e.getOldMode(), e.getOldId()) || isBinary(reader, e.getNewMode(), e.getNewId());
    }

    private static boolean isBinary(ObjectReader reader, FileMode mode, AbbreviatedObjectId id) throws IOException {
        if (mode == null || mode.getObjectType() != Constants.OBJ_BLOB || id == null || !id.isComplete() || id.toObjectId().equals(ObjectId.zeroId())) {
            return false;
        }
        try (InputStream in = reader.open(id.toObjectId(), Constants.OBJ_BLOB).openStream()) {
            return RawText.isBinary(in);
        }
    }
}
