package io.terok.gate.repo;

import io.terok.gate.repo.Records.Backup;
import io.terok.gate.repo.Records.LogEntry;
import io.terok.gate.repo.Records.Pending;
import io.terok.gate.repo.Records.SyncResult;
import io.terok.gate.repo.Records.Update;
import io.terok.gate.upstream.UpstreamAccess;
import java.time.Duration;
import java.util.List;

/**
 * What the operator does with a project's mirror (see {@link MirrorRefs} for its refs), one class per operation:
 * {@link UpstreamSync}, {@link ReviewQueue}, {@link Backups}, {@link History} and {@link Forward}. This facade only
 * wires them together for the gRPC adapter.
 */
public class Mirror {
    private final UpstreamSync sync;
    private final ReviewQueue review;
    private final Backups backups;
    private final History history;
    private final Forward forward;

    /** @param backupRetention backups older than this are pruned at sync; zero keeps them forever */
    public Mirror(Projects projects, Duration backupRetention, UpstreamAccess upstreams, Maintenance maintenance) {
        this.backups = new Backups(projects, backupRetention);
        this.sync = new UpstreamSync(projects, upstreams, backups, maintenance);
        this.review = new ReviewQueue(projects);
        this.history = new History(projects);
        this.forward = new Forward(projects, upstreams, sync);
    }

    public SyncResult sync(String project) {
        return sync.sync(project);
    }

    public List<Pending> pending(String project) {
        return review.pending(project);
    }

    public Pending apply(String project, String id) {
        return review.apply(project, id);
    }

    public Pending drop(String project, String id) {
        return review.drop(project, id);
    }

    public List<Backup> backups(String project) {
        return backups.list(project);
    }

    public Update restore(String project, String backupRef) {
        return backups.restore(project, backupRef);
    }

    public List<LogEntry> log(String project, String branch, String against) {
        return history.log(project, branch, against);
    }

    public History.Review diff(String project, String branch, String against) {
        return history.diff(project, branch, against);
    }

    public Update forward(String project, String branch, String to, String expectedCommit) {
        return forward.forward(project, branch, to, expectedCommit);
    }
}
