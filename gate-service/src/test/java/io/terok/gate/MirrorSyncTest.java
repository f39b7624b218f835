package io.terok.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.ListPendingResponse;
import io.terok.api.v1.PendingOperation;
import io.terok.api.v1.PendingRef;
import io.terok.api.v1.ProjectRef;
import io.terok.api.v1.RestoreBackupRequest;
import io.terok.api.v1.SyncRequest;
import io.terok.api.v1.SyncResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Projects and the safe ref model: creates and fast-forwards applied, rewrites and deletes queued, backups. */
@QuarkusTest
class MirrorSyncTest {
    GateApi api;

    @BeforeEach
    void open() throws Exception {
        api = new GateApi();
    }

    @AfterEach
    void close() {
        api.close();
    }

    Path gatePath(String project) {
        return Path.of(api.stub().repositoryPath(ProjectRef.newBuilder().setProject(project).build()).getPath());
    }

    SyncResponse sync(String project) {
        return api.stub().sync(SyncRequest.newBuilder().setProject(project).build());
    }

    @Test
    void createSyncsUpstreamHeadsAndHidesTheSnapshot() {
        String p = GateApi.unique("mirror");
        Path up = api.upstream(p);
        api.createProject(p, up);
        Path gate = gatePath(p);
        assertTrue(gate.toString().endsWith("/gate/" + p + ".git"), gate.toString());
        assertEquals(api.rev(up, "main"), api.rev(gate, "refs/heads/main"));
        assertEquals(api.rev(up, "main"), api.rev(gate, "refs/terok/upstream/main"));
        assertEquals("refs/heads/main", api.git(gate, "symbolic-ref", "HEAD").ok().out().trim());
        assertEquals("main", api.stub().listProjects(io.terok.api.v1.ListProjectsRequest.getDefaultInstance()).getProjectsList()
                .stream().filter(x -> x.getName().equals(p)).findFirst().orElseThrow().getDefaultBranch());
    }

    @Test
    void badNamesAndUrlsAreRefusedNamingTheField() {
        for (String bad : new String[] {"../evil", "Upper", ".hidden", "a/b", "x.git", "a..b", ""}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> api.stub().createProject(CreateProjectRequest.newBuilder().setName(bad).build()), bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().startsWith("name:"), e.getStatus().getDescription());
        }
        for (String bad : new String[] {"file://relative", "ext::sh -c evil", "ssh://-oProxyCommand=evil/x.git", "git@example.invalid:-x.git"}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> api.stub().createProject(
                    CreateProjectRequest.newBuilder().setName(GateApi.unique("u")).setUpstreamUrl(bad).build()), bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().startsWith("upstream_url:"), e.getStatus().getDescription());
        }
        String p = api.createProject(GateApi.unique("dup"), null);
        StatusRuntimeException dup = assertThrows(StatusRuntimeException.class, () -> api.createProject(p, null));
        assertEquals(Status.Code.ALREADY_EXISTS, dup.getStatus().getCode());
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> sync("no-such-project"));
        assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
    }

    @Test
    void aFailedSyncOnCreateLeavesNoProject() {
        String p = GateApi.unique("gone");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> api.createProject(p, api.tmp.resolve("does-not-exist.git")));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertFalse(api.stub().listProjects(io.terok.api.v1.ListProjectsRequest.getDefaultInstance()).getProjectsList()
                .stream().anyMatch(x -> x.getName().equals(p)));
    }

    @Test
    void fastForwardsAndNewBranchesAreAppliedGateOnlyBranchesSurvive() {
        String p = GateApi.unique("ff");
        Path up = api.upstream(p);
        api.createProject(p, up);
        Path gate = gatePath(p);
        String main0 = api.rev(gate, "main");
        // A gate-only branch (as a task would push) and a gate commit ahead of upstream on "ahead".
        api.git(gate, "update-ref", "refs/heads/task-work", main0).ok();
        Path seed = api.tmp.resolve(p + "-seed");
        api.commit(seed, "a.txt", "1\n", "upstream advances");
        api.git(seed, "push", "-q", "origin", "HEAD:main", "HEAD:refs/heads/feature").ok();
        SyncResponse r = sync(p);
        assertEquals(2, r.getAppliedCount(), r.toString());
        assertTrue(r.getAppliedList().stream().anyMatch(u -> u.getRef().equals("refs/heads/main") && u.getKind().equals("fast-forward")));
        assertTrue(r.getAppliedList().stream().anyMatch(u -> u.getRef().equals("refs/heads/feature") && u.getKind().equals("create")));
        assertEquals(0, r.getPendingCount());
        assertEquals(api.rev(up, "main"), api.rev(gate, "main"));
        assertEquals(main0, api.rev(gate, "task-work"), "gate-only branch untouched");
        // Upstream deleting a branch the gate never had is not an operation; gate-only branches stay across syncs.
        sync(p);
        assertEquals(main0, api.rev(gate, "task-work"));
        api.fsck(gate);
    }

    @Test
    void upstreamRewriteBecomesPendingAndIsAppliedWithABackup() {
        String p = GateApi.unique("rw");
        Path up = api.upstream(p);
        api.createProject(p, up);
        Path gate = gatePath(p);
        String before = api.rev(gate, "main");
        Path seed = api.tmp.resolve(p + "-seed");
        api.git(seed, "commit", "-q", "--amend", "-m", "rewritten").ok();
        api.git(seed, "push", "-q", "-f", "origin", "HEAD:main").ok();
        SyncResponse r = sync(p);
        assertEquals(0, r.getAppliedCount(), r.toString());
        assertEquals(1, r.getPendingCount(), r.toString());
        PendingOperation op = r.getPending(0);
        assertEquals("rewrite", op.getKind());
        assertEquals(before, op.getOldId());
        assertEquals(api.rev(up, "main"), op.getNewId());
        assertEquals(before, api.rev(gate, "main"), "a rewrite is not applied by sync");
        // A second sync does not queue it twice.
        assertEquals(1, sync(p).getPendingCount());

        PendingOperation applied = api.stub().applyPending(PendingRef.newBuilder().setProject(p).setId(op.getId()).build());
        assertEquals("applied", applied.getStatus());
        assertEquals(api.rev(up, "main"), api.rev(gate, "main"));
        var backups = api.stub().listBackups(ProjectRef.newBuilder().setProject(p).build()).getBackupsList();
        assertEquals(1, backups.size());
        assertEquals("main", backups.get(0).getBranch());
        assertEquals(before, backups.get(0).getCommitId());
        assertEquals(0, api.stub().listPending(ProjectRef.newBuilder().setProject(p).build()).getOperationsCount());

        // Restore puts the old tip back and backs up the one it replaces.
        var restored = api.stub().restoreBackup(RestoreBackupRequest.newBuilder().setProject(p).setBackupRef(backups.get(0).getRef()).build());
        assertEquals(before, restored.getUpdate().getNewId());
        assertEquals(before, api.rev(gate, "main"));
        assertEquals(2, api.stub().listBackups(ProjectRef.newBuilder().setProject(p).build()).getBackupsCount());
        api.fsck(gate);
    }

    @Test
    void upstreamDeleteBecomesPendingAndCanBeDropped() {
        String p = GateApi.unique("del");
        Path up = api.upstream(p);
        Path seed = api.tmp.resolve(p + "-seed");
        api.git(seed, "push", "-q", "origin", "HEAD:refs/heads/old").ok();
        api.createProject(p, up);
        Path gate = gatePath(p);
        String tip = api.rev(gate, "old");
        api.git(seed, "push", "-q", "origin", ":refs/heads/old").ok();
        SyncResponse r = sync(p);
        assertEquals(1, r.getPendingCount(), r.toString());
        assertEquals("delete", r.getPending(0).getKind());
        assertEquals(tip, api.rev(gate, "old"));
        PendingOperation dropped = api.stub().dropPending(PendingRef.newBuilder().setProject(p).setId(r.getPending(0).getId()).build());
        assertEquals("dropped", dropped.getStatus());
        ListPendingResponse left = api.stub().listPending(ProjectRef.newBuilder().setProject(p).build());
        assertEquals(0, left.getOperationsCount());
        assertEquals(tip, api.rev(gate, "old"), "dropping keeps the gate's branch");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> api.stub().applyPending(PendingRef.newBuilder().setProject(p).setId(r.getPending(0).getId()).build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void applyingAnOperationWhoseBranchMovedIsRefused() {
        String p = GateApi.unique("moved");
        Path up = api.upstream(p);
        api.createProject(p, up);
        Path gate = gatePath(p);
        Path seed = api.tmp.resolve(p + "-seed");
        api.git(seed, "commit", "-q", "--amend", "-m", "rewritten").ok();
        api.git(seed, "push", "-q", "-f", "origin", "HEAD:main").ok();
        PendingOperation op = sync(p).getPending(0);
        api.git(gate, "update-ref", "refs/heads/main", api.rev(up, "main")).ok();
        api.git(gate, "commit-tree", "-m", "x", "main^{tree}").ok();
        String other = api.git(gate, "commit-tree", "-p", "main", "-m", "task", "main^{tree}").ok().out().trim();
        api.git(gate, "update-ref", "refs/heads/main", other).ok();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> api.stub().applyPending(PendingRef.newBuilder().setProject(p).setId(op.getId()).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertEquals(other, api.rev(gate, "main"));
    }

    @Test
    void importingALargeProjectPacksItForServingAndClonesStillWork() throws Exception {
        String p = GateApi.unique("large");
        Path up = api.tmp.resolve(p + "-upstream.git");
        api.git(api.tmp, "init", "-q", "--bare", "-b", "main", up.toString()).ok();
        api.history(up, 800, 1); // 2,400 objects: past the size where a repack pays

        api.createProject(p, up);

        Path gate = gatePath(p);
        try (Stream<Path> packs = Files.list(gate.resolve("objects/pack"))) {
            assertTrue(packs.anyMatch(f -> f.toString().endsWith(".bitmap")), "the import left a pack with bitmaps");
        }
        var t = api.mint(GateApi.taskId(), p);
        Path clone = api.tmp.resolve(p + "-clone");
        api.git(api.tmp, t.getEnvMap(), "clone", "-q", t.getCloneUrl(), clone.toString()).ok();
        assertEquals(api.rev(up, "main"), api.rev(clone, "HEAD"));
        api.fsck(gate);
    }
}
