package io.terok.cli.gate;

import static io.terok.cli.core.ServiceApi.GATE;

import io.terok.api.v1.Commit;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.DeleteProjectRequest;
import io.terok.api.v1.DiffResponse;
import io.terok.api.v1.ForwardRequest;
import io.terok.api.v1.ListProjectsRequest;
import io.terok.api.v1.PendingOperation;
import io.terok.api.v1.PendingRef;
import io.terok.api.v1.ProjectRef;
import io.terok.api.v1.RefUpdate;
import io.terok.api.v1.RestoreBackupRequest;
import io.terok.api.v1.ReviewRequest;
import io.terok.api.v1.SyncRequest;
import io.terok.api.v1.SyncResponse;
import io.terok.cli.core.Times;
import io.terok.cli.core.Verb;
import io.terok.common.Printable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `terok gate ...`: the per-project git mirrors tasks push to, and the operator's review and forward. */
@Command(name = "gate", description = "Projects' git mirrors: sync, review what tasks pushed, forward it upstream.",
        subcommands = {GateCommand.Create.class, GateCommand.ListProjects.class, GateCommand.Delete.class, GateCommand.PathVerb.class,
            GateCommand.Sync.class, GateCommand.Pending.class, GateCommand.Apply.class, GateCommand.Drop.class,
            GateCommand.Backups.class, GateCommand.Restore.class, GateCommand.Pushes.class, GateCommand.Log.class,
            GateCommand.Diff.class, GateCommand.Forward.class, GateCommand.TrustHost.class})
public final class GateCommand {
    static String update(RefUpdate u) {
        return u.getKind() + " " + u.getRef() + " " + shortId(u.getOldId()) + " -> " + shortId(u.getNewId());
    }

    static String pending(PendingOperation p) {
        return p.getId() + "  " + p.getKind() + " " + p.getRef() + " " + shortId(p.getOldId()) + " -> " + shortId(p.getNewId())
                + "  (" + p.getStatus() + ")";
    }

    static String shortId(String id) {
        return id.isEmpty() ? "-" : id.substring(0, Math.min(12, id.length()));
    }

    abstract static class OnProject extends Verb {
        @Parameters(index = "0", paramLabel = "PROJECT")
        String project;

        ProjectRef ref() {
            return ProjectRef.newBuilder().setProject(project).build();
        }
    }

    @Command(name = "create", description = "Create a project mirroring UPSTREAM: file:///path, https:// (no credentials), or ssh://[user@]host[:port]/path and user@host:path with the project's vault key (`terok ssh add PROJECT` first).")
    static final class Create extends Verb {
        @Parameters(index = "0", paramLabel = "PROJECT")
        String project;
        @Parameters(index = "1", paramLabel = "UPSTREAM")
        String upstream;
        @Option(names = "--no-sync", description = "Do not fetch the upstream now.")
        boolean noSync;

        @Override
        public Integer call() {
            var p = GATE.call(ctx(), "cannot create project " + project, s -> s.createProject(
                    CreateProjectRequest.newBuilder().setName(project).setUpstreamUrl(upstream).setSync(!noSync).build()));
            ctx().out.println(p.getName() + "  " + p.getUpstreamUrl() + "  default branch " + p.getDefaultBranch());
            return 0;
        }
    }

    @Command(name = "list", description = "Projects and their upstreams.")
    static final class ListProjects extends Verb {
        @Override
        public Integer call() {
            GATE.call(ctx(), "cannot list projects", s -> s.listProjects(ListProjectsRequest.getDefaultInstance()))
                    .getProjectsList().forEach(p -> ctx().out.println(p.getName() + "  " + p.getUpstreamUrl()
                            + (p.hasLastSyncedAt() ? "  synced " + Times.toSecond(p.getLastSyncedAt()) : "")));
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete a project and its mirror (the upstream is not touched).")
    static final class Delete extends OnProject {
        @Override
        public Integer call() {
            boolean deleted = GATE.call(ctx(), "cannot delete " + project,
                    s -> s.deleteProject(DeleteProjectRequest.newBuilder().setProject(project).build())).getDeleted();
            ctx().out.println(deleted ? "deleted " + project : "no project " + project);
            return deleted ? 0 : 1;
        }
    }

    @Command(name = "path", description = "The project's bare mirror on this host.")
    static final class PathVerb extends OnProject {
        @Override
        public Integer call() {
            ctx().out.println(GATE.call(ctx(), "cannot find " + project, s -> s.repositoryPath(ref())).getPath());
            return 0;
        }
    }

    @Command(name = "sync", description = "Fetch the upstream: creations and fast-forwards apply, rewrites wait in `pending`.")
    static final class Sync extends OnProject {
        @Override
        public Integer call() {
            SyncResponse r = GATE.call(ctx(), "cannot sync " + project,
                    s -> s.sync(SyncRequest.newBuilder().setProject(project).build()));
            r.getAppliedList().forEach(u -> ctx().out.println("applied  " + update(u)));
            r.getPendingList().forEach(p -> ctx().out.println("pending  " + pending(p)));
            if (r.getAppliedCount() + r.getPendingCount() == 0) {
                ctx().out.println("up to date");
            }
            return 0;
        }
    }

    @Command(name = "pending", description = "Upstream rewrites and deletions waiting for the operator.")
    static final class Pending extends OnProject {
        @Override
        public Integer call() {
            GATE.call(ctx(), "cannot list pending operations", s -> s.listPending(ref()))
                    .getOperationsList().forEach(p -> ctx().out.println(pending(p)));
            return 0;
        }
    }

    abstract static class OnPending extends OnProject {
        @Parameters(index = "1", paramLabel = "ID", description = "Pending operation id (`terok gate pending`).")
        String id;

        PendingRef pendingRef() {
            return PendingRef.newBuilder().setProject(project).setId(id).build();
        }
    }

    @Command(name = "apply", description = "Apply a pending upstream rewrite or deletion (the old tip is backed up).")
    static final class Apply extends OnPending {
        @Override
        public Integer call() {
            ctx().out.println(pending(GATE.call(ctx(), "cannot apply " + id, s -> s.applyPending(pendingRef()))));
            return 0;
        }
    }

    @Command(name = "drop", description = "Drop a pending upstream rewrite or deletion; the gate keeps its branch.")
    static final class Drop extends OnPending {
        @Override
        public Integer call() {
            ctx().out.println(pending(GATE.call(ctx(), "cannot drop " + id, s -> s.dropPending(pendingRef()))));
            return 0;
        }
    }

    @Command(name = "backups", description = "Saved tips of rewritten or deleted branches.")
    static final class Backups extends OnProject {
        @Override
        public Integer call() {
            GATE.call(ctx(), "cannot list backups", s -> s.listBackups(ref())).getBackupsList().forEach(b -> ctx().out.println(
                    b.getRef() + "  " + b.getBranch() + "  " + shortId(b.getCommitId()) + "  " + Times.toSecond(b.getCreatedAt())));
            return 0;
        }
    }

    @Command(name = "restore", description = "Put a backup back on its branch.")
    static final class Restore extends OnProject {
        @Parameters(index = "1", paramLabel = "BACKUP_REF")
        String backup;

        @Override
        public Integer call() {
            ctx().out.println(update(GATE.call(ctx(), "cannot restore " + backup, s -> s.restoreBackup(
                    RestoreBackupRequest.newBuilder().setProject(project).setBackupRef(backup).build())).getUpdate()));
            return 0;
        }
    }

    @Command(name = "pushes", description = "What each task pushed to the gate.")
    static final class Pushes extends OnProject {
        @Override
        public Integer call() {
            GATE.call(ctx(), "cannot list pushes", s -> s.listPushes(ref())).getPushesList().forEach(p -> {
                ctx().out.println(Times.toSecond(p.getTime()) + "  task " + p.getTaskId());
                p.getUpdatesList().forEach(u -> ctx().out.println("    " + update(u)));
            });
            return 0;
        }
    }

    abstract static class Review extends OnProject {
        @Parameters(index = "1", paramLabel = "BRANCH")
        String branch;
        @Option(names = "--against", paramLabel = "UPSTREAM_BRANCH", description = "Compare with this upstream branch (default: same name).")
        String against = "";

        ReviewRequest request() {
            return ReviewRequest.newBuilder().setProject(project).setBranch(branch).setAgainst(against).build();
        }
    }

    @Command(name = "log", description = "Commits on the gate's BRANCH that the upstream does not have.")
    static final class Log extends Review {
        @Override
        public Integer call() {
            for (Commit c : GATE.call(ctx(), "cannot read the log", s -> s.log(request())).getCommitsList()) {
                ctx().out.println(shortId(c.getId()) + "  " + Printable.line(c.getAuthor()) + "  "
                        + Printable.line(c.getSummary()));
            }
            return 0;
        }
    }

    @Command(name = "diff", description = "Review the gate's BRANCH against the upstream: the exact commit, every commit a forward"
            + " would send (with the files each changes), binary and left-out files, then the patch.")
    static final class Diff extends Review {
        @Override
        public Integer call() {
            DiffResponse r = GATE.call(ctx(), "cannot diff", s -> s.diff(request()));
            showReview(ctx().out, project, branch, r);
            // The patch is what a task wrote: shown as it is, but an escape sequence in it cannot hide a line from the review.
            ctx().out.print(Printable.lines(r.getPatch()));
            ctx().out.println("== end of the review of " + r.getCommit() + "; to forward exactly this: terok gate forward "
                    + project + " " + Printable.line(branch) + (against.isEmpty() ? "" : " --to " + Printable.line(against))
                    + " --commit " + r.getCommit());
            return 0;
        }
    }

    /**
     * The head of a review: the exact commit shown, every commit between the upstream and it (all of them are sent
     * by a forward) with the files each changes, and loudly the binary files and the files left out of the patch.
     * Everything that comes from the task goes through {@link Printable}.
     */
    public static void showReview(java.io.PrintStream out, String project, String branch, DiffResponse r) {
        out.println("== review of " + project + " " + Printable.line(branch) + " at commit " + r.getCommit()
                + (r.getUpstreamCommit().isEmpty() ? " (the upstream has no such branch: everything is new)"
                        : " against upstream " + r.getUpstreamCommit()));
        out.println("== " + r.getCommitsCount() + " commit(s) a forward sends, newest first (each one goes upstream, not only the net patch):");
        for (Commit c : r.getCommitsList()) {
            out.println("commit " + c.getId() + "  " + Printable.line(c.getAuthor()) + "  " + Printable.line(c.getSummary()));
            c.getFilesList().forEach(f -> out.println("    " + Printable.line(f, 400)));
        }
        if (r.getBinaryFilesCount() > 0) {
            out.println("== WARNING: " + r.getBinaryFilesCount() + " BINARY file(s) changed; their content is NOT shown below, inspect them with git:");
            r.getBinaryFilesList().forEach(f -> out.println("    BINARY  " + Printable.line(f, 400)));
        }
        if (r.getOmittedFilesCount() > 0) {
            out.println("== WARNING: the patch is too large; " + r.getOmittedFilesCount() + " file(s) are LEFT OUT of it below,"
                    + " inspect them with git (terok gate path " + project + "):");
            r.getOmittedFilesList().forEach(f -> out.println("    NOT SHOWN  " + Printable.line(f, 400)));
        }
        out.println("== patch:");
    }

    @Command(name = "forward", description = "Push the reviewed BRANCH upstream: exactly the commit given with --commit (as `terok gate diff`"
            + " names it), or, without --commit, the commit of the review this verb shows first. Refused if the branch moved"
            + " since, or if forwarding would lose upstream commits.")
    static final class Forward extends OnProject {
        @Parameters(index = "1", paramLabel = "BRANCH")
        String branch;
        @Option(names = "--to", paramLabel = "UPSTREAM_BRANCH", description = "Upstream branch (default: same name).")
        String to = "";
        @Option(names = "--commit", paramLabel = "COMMIT", description = "The full id of the commit you reviewed; forward refuses if BRANCH points elsewhere.")
        String commit = "";

        @Override
        public Integer call() {
            String expected = commit;
            if (expected.isEmpty()) {
                DiffResponse r = GATE.call(ctx(), "cannot review " + branch, s -> s.diff(
                        ReviewRequest.newBuilder().setProject(project).setBranch(branch).setAgainst(to).build()));
                showReview(ctx().out, project, branch, r);
                ctx().out.println("(patch not shown; `terok gate diff` shows it)");
                expected = r.getCommit();
            }
            String pinned = expected;
            ctx().out.println("forwarded: " + update(GATE.call(ctx(), "cannot forward " + branch, s -> s.forward(
                    ForwardRequest.newBuilder().setProject(project).setBranch(branch).setTo(to).setExpectedCommit(pinned).build())).getUpdate()));
            return 0;
        }
    }

    @Command(name = "trust-host", description = "Forget the SSH host key pinned for the project's upstream, after you checked the"
            + " server's new key out of band; the next sync pins the key the server presents then.")
    static final class TrustHost extends OnProject {
        @Override
        public Integer call() {
            var r = GATE.call(ctx(), "cannot forget the host key of " + project, s -> s.trustHost(ref()));
            if (r.getForgottenCount() == 0) {
                ctx().out.println("no host key was pinned for " + project + "; the next sync pins the one the server presents");
            } else {
                r.getForgottenList().forEach(l -> ctx().out.println("forgot  " + l));
                ctx().out.println("the next `terok gate sync " + project + "` pins the key the server presents then");
            }
            return 0;
        }
    }
}
