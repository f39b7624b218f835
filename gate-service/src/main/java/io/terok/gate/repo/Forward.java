package io.terok.gate.repo;

import static io.terok.gate.repo.MirrorRefs.UPSTREAM;

import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.gate.repo.Records.ProjectMeta;
import io.terok.gate.repo.Records.Update;
import io.terok.gate.upstream.UpstreamAccess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.jboss.logging.Logger;

/** Pushes a reviewed gate branch to the upstream, never losing upstream commits. */
public class Forward {
    private static final Logger LOG = Logger.getLogger(Forward.class);
    private final Projects projects;
    private final UpstreamAccess upstreams;
    private final UpstreamSync sync;

    public Forward(Projects projects, UpstreamAccess upstreams, UpstreamSync sync) {
        this.projects = projects;
        this.upstreams = upstreams;
        this.sync = sync;
    }

    /**
     * Pushes the gate's branch to the upstream branch {@code to}, after syncing, but only while the branch still
     * points at {@code expectedCommit}, the commit the operator reviewed: a task that pushes after the review is
     * refused, never forwarded. Refuses when the upstream has commits the branch lacks (the push would lose them),
     * and when the range is longer than a review lists; the push itself is a compare-and-swap against the upstream
     * tip just fetched, so an upstream that moves in between is refused too.
     */
    public Update forward(String project, String branch, String to, String expectedCommit) {
        String b = Ids.branch("branch", branch);
        String t = to == null || to.isEmpty() ? b : Ids.branch("to", to);
        if (expectedCommit == null || expectedCommit.isEmpty()) {
            throw ServiceException.invalid("expected_commit", "is required: the full id of the commit you reviewed (terok gate diff names it)");
        }
        if (!expectedCommit.matches("[0-9a-f]{40}")) {
            throw ServiceException.invalid("expected_commit", "must be a full commit id of 40 lower-case hex digits, not "
                    + Printable.line(expectedCommit, 60));
        }
        ObjectId expected = ObjectId.fromString(expectedCommit);
        ProjectMeta meta = projects.meta(project);
        if (meta.upstreamUrl().isEmpty()) {
            throw ServiceException.precondition("project " + project + " has no upstream to forward to");
        }
        sync.sync(project);
        return projects.locked(project, () -> {
            try (Repository repo = projects.open(project); RevWalk walk = new RevWalk(repo)) {
                ObjectId tip = MirrorRefs.head(repo, project, b);
                if (!tip.equals(expected)) {
                    throw ServiceException.precondition("refusing to forward " + Printable.line(b) + ": it points at " + tip.name()
                            + " now, not at the reviewed commit " + expected.name() + " (something pushed after the review);"
                            + " review it again (terok gate diff) and forward the commit that review names");
                }
                Ref up = repo.exactRef(UPSTREAM + t);
                ObjectId upId = up == null ? ObjectId.zeroId() : up.getObjectId();
                if (up != null && upId.equals(tip)) {
                    return new Update(Constants.R_HEADS + t, upId.name(), tip.name(), "up-to-date");
                }
                if (up != null && !MirrorRefs.isAncestor(walk, upId, tip)) {
                    throw wouldLose(walk, b, t, upId, tip);
                }
                // Everything forwarding sends must fit in one review's commit list (History lists the same range).
                History.range(repo, walk, tip, "forward " + b);
                push(repo, project, meta.upstreamUrl(), b, t, tip, upId);
                MirrorRefs.cas(repo, UPSTREAM + t, upId, tip, "gate forward");
                LOG.infof("forwarded %s/%s to upstream %s: %s..%s", project, Printable.line(b), Printable.line(t), upId.name(), tip.name());
                return new Update(Constants.R_HEADS + t, up == null ? "" : upId.name(), tip.name(), "forward");
            } catch (URISyntaxException | TransportException e) {
                throw ServiceException.precondition("cannot push to upstream " + meta.upstreamUrl() + ": " + e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The refusal naming (up to three of) the upstream commits {@code b} lacks. */
    private static ServiceException wouldLose(RevWalk walk, String b, String t, ObjectId upId, ObjectId tip) throws IOException {
        walk.reset();
        walk.markStart(walk.parseCommit(upId));
        walk.markUninteresting(walk.parseCommit(tip));
        List<String> lost = new ArrayList<>();
        for (RevCommit c : walk) {
            lost.add(c.abbreviate(12).name() + " " + Printable.line(c.getShortMessage()));
        }
        String pb = Printable.line(b);
        String pt = Printable.line(t);
        return ServiceException.precondition("refusing to forward " + pb + " to upstream " + pt + ": upstream has "
                + lost.size() + " commit(s) that " + pb + " does not contain (" + String.join("; ", lost.subList(0, Math.min(3, lost.size())))
                + "); forwarding would lose them. Merge or rebase " + pb + " onto upstream " + pt + " first");
    }

    /** Sets the upstream's {@code t} from {@code upId} to {@code tip} (compare-and-swap on the upstream). */
    private void push(Repository repo, String project, String url, String b, String t, ObjectId tip, ObjectId upId)
            throws IOException, URISyntaxException {
        try (UpstreamAccess.Session access = upstreams.open(project, url, projects.knownHosts(project), "forward");
                Transport tr = Transport.open(repo, new URIish(url))) {
            access.callback().configure(tr);
            RemoteRefUpdate u = new RemoteRefUpdate(repo, Constants.R_HEADS + b, tip, Constants.R_HEADS + t, false, null, upId);
            PushResult r;
            try {
                r = tr.push(NullProgressMonitor.INSTANCE, List.of(u));
            } catch (TransportException e) {
                throw access.failure("push to", e);
            }
            RemoteRefUpdate.Status st = r.getRemoteUpdate(Constants.R_HEADS + t).getStatus();
            if (st != RemoteRefUpdate.Status.OK && st != RemoteRefUpdate.Status.UP_TO_DATE) {
                String msg = r.getRemoteUpdate(Constants.R_HEADS + t).getMessage();
                throw ServiceException.precondition("upstream refused " + Printable.line(t) + ": " + st + (msg == null ? "" : " (" + Printable.line(msg) + ")"));
            }
        }
    }
}
