package io.terok.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.StreamObserver;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.ListTasksResponse;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.Task;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** main() in its own JVM, as bin/terok runs it: exit codes, the prewarmed channel, clean exit. */
class MainProcessTest {
    @TempDir
    Path runtime;

    record Result(int exit, String out, String err) {
    }

    private Result terok(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TerokCommand.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("TEROK_RUNTIME_DIR", runtime.toString());
        pb.environment().put("TEROK_STATE_DIR", runtime.resolve("state").toString());
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "terok must exit");
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void versionAndUsageErrors() throws Exception {
        Result v = terok("--version");
        assertEquals(0, v.exit(), v::toString);
        assertTrue(v.out().startsWith("terok "), v::toString);
        Result bad = terok("ps", "--bogus");
        assertEquals(2, bad.exit(), bad::toString);
        assertTrue(bad.err().startsWith("terok: Unknown option: '--bogus'"), bad::toString);
    }

    @Test
    void psThroughThePrewarmedChannel() throws Exception {
        RuntimeServiceGrpc.RuntimeServiceImplBase list = new RuntimeServiceGrpc.RuntimeServiceImplBase() {
            @Override
            public void list(ListTasksRequest request, StreamObserver<ListTasksResponse> response) {
                response.onNext(ListTasksResponse.newBuilder().addTasks(Task.newBuilder().setId("feedface").setName("n")
                        .setImage("i")).build());
                response.onCompleted();
            }
        };
        try (UdsServer ignored = new UdsServer(runtime.resolve("runtime.sock"), list)) {
            Result r = terok("ps");
            assertEquals(0, r.exit(), r::toString);
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("feedface  n     i")), r::toString);
            assertEquals("", r.err(), "no gRPC/Netty log noise");
            Result missing = terok("inspect", "x");
            assertEquals(1, missing.exit(), missing::toString);
            assertTrue(missing.err().startsWith("terok: cannot inspect x: "), missing::toString);
            assertFalse(missing.err().contains("\tat "), missing::toString);
        }
    }

    @Test
    void psWithoutServicesFailsInOneLine() throws Exception {
        Result r = terok("ps");
        assertEquals(1, r.exit(), r::toString);
        assertEquals("terok: cannot reach the runtime service: no socket at " + runtime.resolve("runtime.sock"),
                r.err().lines().findFirst().orElse(""));
    }
}
