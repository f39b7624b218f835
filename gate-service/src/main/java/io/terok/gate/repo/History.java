package io.terok.gate.repo;

import static io.terok.gate.repo.MirrorRefs.UPSTREAM;

import io.terok.common.Ids;
import io.terok.gate.repo.Records.LogEntry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.diff.DiffFormatter;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.revwalk.filter.RevFilter;
import org.eclipse.jgit.treewalk.AbstractTreeIterator;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.EmptyTreeIterator;

/** What a branch has that the upstream does not, for review: its commits and its patch. Reads only. */
public class History {
    private static final int MAX_LOG = 1000;
    private static final int MAX_PATCH = 3 * 1024 * 1024;
    private final Projects projects;

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
                out.add(new LogEntry(c.name(), c.getAuthorIdent().getName() + " <" + c.getAuthorIdent().getEmailAddress() + ">",
                        c.getAuthorIdent().getWhenAsInstant().toString(), c.getShortMessage()));
                if (out.size() >= MAX_LOG) {
                    break;
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The patch of the branch against its merge base with the upstream branch (what `git diff up...branch` shows). */
    public String diff(String project, String branch, String against) {
        String b = Ids.branch("branch", branch);
        String a = against == null || against.isEmpty() ? b : Ids.branch("against", against);
        try (Repository repo = projects.open(project); RevWalk walk = new RevWalk(repo)) {
            RevCommit tip = walk.parseCommit(MirrorRefs.head(repo, project, b));
            Ref up = repo.exactRef(UPSTREAM + a);
            RevCommit base = null;
            if (up != null) {
                walk.setRevFilter(RevFilter.MERGE_BASE);
                walk.markStart(tip);
                walk.markStart(walk.parseCommit(up.getObjectId()));
                base = walk.next();
                walk.reset();
                walk.setRevFilter(RevFilter.ALL);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (DiffFormatter f = new DiffFormatter(out); var reader = repo.newObjectReader()) {
                f.setRepository(repo);
                AbstractTreeIterator from = base == null ? new EmptyTreeIterator() : new CanonicalTreeParser(null, reader, walk.parseTree(base.getTree()));
                f.format(from, new CanonicalTreeParser(null, reader, walk.parseTree(tip.getTree())));
            }
            if (out.size() > MAX_PATCH) {
                return new String(out.toByteArray(), 0, MAX_PATCH, StandardCharsets.UTF_8)
                        + "\n[terok gate: patch truncated at " + MAX_PATCH + " bytes; use `terok gate path` and git for the rest]\n";
            }
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
