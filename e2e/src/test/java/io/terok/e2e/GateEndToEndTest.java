package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.ListPushesResponse;
import io.terok.api.v1.ProjectRef;
import io.terok.api.v1.RepositoryPathResponse;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real task, launched through `terok run --project`, clones from the gate and pushes to it from inside its
 * hardened container (slirp4netns; the gate is reached at the host-loopback address). The push lands in the
 * gate, not in the upstream, and the task's token is forgotten when the task is removed.
 */
class GateEndToEndTest {
    static Terok terok;
    static Path upstream;
    static ManagedChannel channel;

    @BeforeAll
    static void up() throws Exception {
        terok = new Terok(Terok.freshHome("gate", null), null);
        terok.run("services", "up").ok();
        upstream = terok.home.resolve("upstream.git");
        Path seed = terok.home.resolve("seed");
        terok.git(terok.home, "init", "-q", "--bare", "-b", "main", upstream.toString());
        terok.git(terok.home, "clone", "-q", upstream.toString(), seed.toString());
        terok.git(seed, "commit", "-q", "--allow-empty", "-m", "initial");
        terok.git(seed, "push", "-q", "origin", "HEAD:main");
        channel = UnixChannels.open(terok.runtimeDir().resolve("gate.sock"));
        gate().createProject(CreateProjectRequest.newBuilder().setName("e2e-proj").setUpstreamUrl("file://" + upstream)
                .setSync(true).build());
    }

    @AfterAll
    static void down() {
        if (channel != null) {
            channel.shutdownNow();
        }
        terok.run("rm", "-f", "gate-task", "gate-revoked");
        terok.run("services", "down");
    }

    static GateServiceGrpc.GateServiceBlockingStub gate() {
        return GateServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @Test
    void aTaskClonesCommitsAndPushesToTheGateNotTheUpstream() {
        String script = String.join("\n",
                "set -e",
                "cd /tmp",
                "git clone -q \"$TEROK_GATE_URL\" work",
                "cd work",
                "echo from-the-agent > agent.txt",
                "git add agent.txt",
                "git -c user.name=Agent -c user.email=agent@example.invalid commit -q -m 'agent work'",
                "git push -q origin HEAD:refs/heads/agent-work",
                "echo pushed $(git rev-parse HEAD)");
        Terok.Result r = terok.run("run", "--name", "gate-task", "--project", "e2e-proj", "--no-shield", "--network", "filtered",
                "localhost/terok-agent:latest", "bash", "-c", script);
        assertEquals(0, r.exitCode(), "stdout: " + r.out() + "\nstderr: " + r.err());
        String pushed = r.out().lines().filter(l -> l.startsWith("pushed ")).findFirst().orElseThrow(() -> new AssertionError(r.out()))
                .substring("pushed ".length()).trim();

        RepositoryPathResponse path = gate().repositoryPath(ProjectRef.newBuilder().setProject("e2e-proj").build());
        assertEquals(pushed, terok.git(Path.of(path.getPath()), "rev-parse", "refs/heads/agent-work"));
        assertEquals("", terok.git(upstream, "for-each-ref", "refs/heads/agent-work"), "nothing reached the upstream");
        ListPushesResponse pushes = gate().listPushes(ProjectRef.newBuilder().setProject("e2e-proj").build());
        assertEquals(1, pushes.getPushesCount());
        String taskId = pushes.getPushes(0).getTaskId();
        assertEquals(32, taskId.length(), taskId);

        // Removing the task revokes its token (runtime calls RevokeTaskToken): a second revoke finds nothing.
        terok.run("rm", "-f", "gate-task").ok();
        assertEquals(0, gate().revokeTaskToken(io.terok.api.v1.RevokeTaskTokenRequest.newBuilder().setTaskId(taskId).build())
                .getRevoked());

        // The operator reviews with the CLI and forwards: only then does the work reach the upstream.
        Terok.Result log = terok.run("gate", "log", "e2e-proj", "agent-work", "--against", "main").ok();
        assertTrue(log.out().contains(pushed.substring(0, 12)), log.out());
        Terok.Result diff = terok.run("gate", "diff", "e2e-proj", "agent-work", "--against", "main").ok();
        assertTrue(diff.out().contains("diff --git"), diff.out());
        assertTrue(diff.out().contains("at commit " + pushed), "the review names the exact commit: " + diff.out());
        assertTrue(diff.out().contains("commit " + pushed + "  Agent <agent@example.invalid>  agent work"), diff.out());
        assertTrue(diff.out().contains("    A agent.txt"), "each commit's files: " + diff.out());
        assertTrue(diff.out().contains("--commit " + pushed), diff.out());

        // Something moves the branch after the review (as a still-running task could): forwarding the reviewed
        // commit is refused and the upstream gets nothing.
        Path gateRepo = Path.of(path.getPath());
        String tree = terok.git(gateRepo, "rev-parse", pushed + "^{tree}");
        String sneaked = terok.git(gateRepo, "-c", "user.name=Agent", "-c", "user.email=agent@example.invalid",
                "commit-tree", tree, "-p", pushed, "-m", "after the review");
        terok.git(gateRepo, "update-ref", "refs/heads/agent-work", sneaked, pushed);
        Terok.Result refused = terok.run("gate", "forward", "e2e-proj", "agent-work", "--to", "agent-work", "--commit", pushed);
        assertTrue(refused.exitCode() != 0, refused.out() + refused.err());
        assertTrue(refused.err().contains(pushed) && refused.err().contains(sneaked), refused.err());
        assertEquals("", terok.git(upstream, "for-each-ref", "refs/heads/agent-work"), "nothing reached the upstream");
        terok.git(gateRepo, "update-ref", "refs/heads/agent-work", pushed, sneaked);

        terok.run("gate", "forward", "e2e-proj", "agent-work", "--commit", pushed).ok();
        assertEquals(pushed, terok.git(upstream, "rev-parse", "refs/heads/agent-work"), "forwarded after review");
    }

    @Test
    void aRevokedTaskKeepsRunningButTheGateNoLongerAnswersIt() {
        terok.run("run", "-d", "--name", "gate-revoked", "--project", "e2e-proj", "--no-shield", "--network", "filtered",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        String[] lsRemote = {"exec", "gate-revoked", "sh", "-c", "git ls-remote \"$TEROK_GATE_URL\" 2>&1"};
        Terok.Result before = terok.run(lsRemote);
        assertEquals(0, before.exitCode(), before.out() + before.err());
        assertTrue(before.out().contains("refs/heads/main"), before.out());

        Terok.Result revoked = terok.run("revoke", "gate-revoked").ok();
        assertEquals("gate-revoked: revoked gate token; the task keeps running", revoked.out().strip());

        Terok.Result after = terok.run(lsRemote);
        assertNotEquals(0, after.exitCode(), after.out());
        assertTrue(after.out().contains("the gate token is unknown or has been revoked"), after.out());
        assertTrue(terok.run("ps").ok().out().lines().anyMatch(l -> l.contains("gate-revoked") && l.contains("running")));
        assertTrue(terok.run("inspect", "gate-revoked").ok().out().contains("credentials revoked by the operator (gate token)"));
        terok.run("rm", "-f", "gate-revoked").ok();
    }
}
