package io.terok.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.api.v1.ProjectRef;
import io.terok.api.v1.SyncRequest;
import io.terok.api.v1.SyncResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The attack of issue 15 item 11, played with the real git CLI over the gate's smart HTTP: a task that moves, deletes
 * or plants tags to poison them for other tasks. Only new tags under refs/tags/terok/<its task id>/ are taken; the
 * upstream's tags stay what the upstream says, and sync corrects a gate tag that differs.
 */
@QuarkusTest
class TagProtectionTest {
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
    void tasksCreateOnlyNewTagsInTheirOwnNamespaceAndUpstreamTagsStayTheUpstreams() {
        String p = GateApi.unique("tags");
        Path up = api.upstream(p);
        Path seed = api.tmp.resolve(p + "-seed");
        api.git(seed, "tag", "v1").ok();
        api.git(seed, "push", "-q", "origin", "v1").ok();
        String v1 = api.rev(up, "refs/tags/v1");
        api.createProject(p, up);
        Path gate = Path.of(api.stub().repositoryPath(ProjectRef.newBuilder().setProject(p).build()).getPath());
        assertEquals(v1, api.rev(gate, "refs/tags/v1"));

        String taskA = GateApi.taskId();
        MintTaskTokenResponse a = api.mint(taskA, p);
        Path work = api.tmp.resolve("tags-a");
        api.git(api.tmp, a.getEnvMap(), "clone", "-q", a.getCloneUrl(), work.toString()).ok();
        api.commit(work, "evil.txt", "x\n", "poison");
        api.git(work, a.getEnvMap(), "push", "-q", "origin", "HEAD:refs/heads/poison").ok();

        // Move the upstream's tag onto the task's commit.
        api.git(work, "tag", "-f", "v1", "HEAD").ok();
        GateApi.Result moved = api.git(work, a.getEnvMap(), "push", "-f", "origin", "refs/tags/v1").failed();
        assertTrue(moved.err().contains("tags cannot be moved or deleted"), moved.err());
        // Delete it.
        GateApi.Result deleted = api.git(work, a.getEnvMap(), "push", "origin", ":refs/tags/v1").failed();
        assertTrue(deleted.err().contains("tags cannot be moved or deleted"), deleted.err());
        // Plant a new tag outside its namespace, or in another task's.
        api.git(work, a.getEnvMap(), "push", "origin", "HEAD:refs/tags/v2").failed();
        api.git(work, a.getEnvMap(), "push", "origin", "HEAD:refs/tags/terok/" + GateApi.taskId() + "/x").failed();
        api.git(work, a.getEnvMap(), "push", "origin", "HEAD:refs/tags/terok/" + taskA + "/").failed();
        assertEquals(v1, api.rev(gate, "refs/tags/v1"), "the gate's tag is the upstream's");
        api.git(gate, "rev-parse", "--verify", "-q", "refs/tags/v2").failed();

        // A new tag in its own namespace is taken, once: it cannot be moved afterwards either.
        String own = "refs/tags/terok/" + taskA + "/mine";
        api.git(work, a.getEnvMap(), "push", "-q", "origin", "HEAD:" + own).ok();
        assertEquals(api.rev(work, "HEAD"), api.rev(gate, own));
        api.git(work, a.getEnvMap(), "push", "-f", "origin", "HEAD~1:" + own).failed();
        assertEquals(api.rev(work, "HEAD"), api.rev(gate, own));

        // Another task sees the upstream's tag unchanged.
        MintTaskTokenResponse b = api.mint(GateApi.taskId(), p);
        String seen = api.git(api.tmp, b.getEnvMap(), "ls-remote", b.getCloneUrl(), "refs/tags/v1").ok().out();
        assertEquals(v1 + "\trefs/tags/v1", seen.strip());
        Path other = api.tmp.resolve("tags-b");
        api.git(api.tmp, b.getEnvMap(), "clone", "-q", b.getCloneUrl(), other.toString()).ok();
        assertEquals(v1, api.rev(other, "refs/tags/v1"));

        // A gate tag that differs from the upstream's (poisoned before tasks were held to their namespace, say) is
        // corrected by sync, and a tag the upstream moves is followed.
        api.git(gate, "update-ref", "refs/tags/v1", api.rev(gate, "refs/heads/poison")).ok();
        api.commit(seed, "README", "next\n", "next");
        api.git(seed, "push", "-q", "origin", "HEAD:main").ok();
        api.git(seed, "tag", "v3").ok();
        api.git(seed, "push", "-q", "origin", "v3").ok();
        SyncResponse s = api.stub().sync(SyncRequest.newBuilder().setProject(p).build());
        assertEquals(v1, api.rev(gate, "refs/tags/v1"), s.toString());
        assertTrue(s.getAppliedList().stream().anyMatch(u -> u.getRef().equals("refs/tags/v1") && u.getKind().equals("tag-corrected")), s.toString());
        api.git(seed, "tag", "-f", "v3", "HEAD~1").ok();
        api.git(seed, "push", "-q", "-f", "origin", "v3").ok();
        api.stub().sync(SyncRequest.newBuilder().setProject(p).build());
        assertEquals(api.rev(up, "refs/tags/v3"), api.rev(gate, "refs/tags/v3"), "an upstream tag move is followed");
        assertEquals(api.rev(work, "HEAD"), api.rev(gate, own), "the task's own tag is not the upstream's business");
    }
}
