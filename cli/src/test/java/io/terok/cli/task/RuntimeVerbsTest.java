package io.terok.cli.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.terok.api.v1.ExecRequest;
import io.terok.api.v1.ExecResponse;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.ListTasksResponse;
import io.terok.api.v1.LogChunk;
import io.terok.api.v1.LogsRequest;
import io.terok.api.v1.OutputStream;
import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.RemoveResponse;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.StopRequest;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskRef;
import io.terok.api.v1.TaskState;
import io.terok.api.v1.WaitRequest;
import io.terok.api.v1.WaitResponse;
import io.terok.cli.Cli;
import io.terok.cli.UdsServer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task verbs against a real gRPC server on a Unix socket that plays the runtime service. */
class RuntimeVerbsTest {
    static final Task RUNNING = Task.newBuilder().setId("abcdef0123456789abcdef").setName("terok-abc").setImage("localhost/agent:1")
            .setState(TaskState.TASK_STATE_RUNNING)
            .setCreatedAt(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond() - 90)).build();
    static final Task EXITED = RUNNING.toBuilder().setId("0123").setName("old").setState(TaskState.TASK_STATE_EXITED)
            .setExitCode(3).build();

    @TempDir
    Path runtime;
    Map<String, String> env;
    UdsServer server;
    final List<Object> calls = new CopyOnWriteArrayList<>();
    /** False: the runtime ends a followed output without its exit code, as one from before with_exit_code did. */
    volatile boolean runtimeAnswersExitCodes = true;

    @BeforeEach
    void startRuntime() throws Exception {
        env = Map.of("TEROK_RUNTIME_DIR", runtime.toString(), "TEROK_STATE_DIR", runtime.resolve("state").toString());
        server = new UdsServer(runtime.resolve("runtime.sock"), new Runtime());
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.close();
    }

    @Test
    void psPrintsATable() {
        Cli r = Cli.run(env, "ps", "-a");
        assertEquals(0, r.exit(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals(List.of(
                "ID            NAME       IMAGE              STATE       CREATED",
                "abcdef012345  terok-abc  localhost/agent:1  running     1 minute ago",
                "0123          old        localhost/agent:1  exited (3)  1 minute ago"), lines);
        assertEquals(ListTasksRequest.newBuilder().setAll(true).build(), calls.get(0));
        assertEquals(2, Cli.run(env, "ps").out().lines().count(), "without -a only running tasks");
    }

    @Test
    void psJsonAndQuiet() {
        Cli json = Cli.run(env, "ps", "--json", "-a");
        assertTrue(json.out().startsWith("[\n  {\n    \"id\": \"abcdef0123456789abcdef\","), json::toString);
        assertTrue(json.out().contains("\"exit_code\": 3"), json::toString);
        assertTrue(json.out().strip().endsWith("}\n]"), json::toString);
        assertEquals("abcdef0123456789abcdef\n0123\n", Cli.run(env, "ps", "-qa").out());
    }

    @Test
    void grpcErrorsAreOneLineWithAHintAndNoStackTrace() {
        Cli r = Cli.run(env, "inspect", "nope");
        assertEquals(1, r.exit(), r::toString);
        assertEquals("terok: cannot inspect nope: no task 'nope'\nhint: `terok ps -a` lists the tasks\n", r.err());
        Cli debug = Cli.run(env, "inspect", "--debug", "nope");
        assertTrue(debug.err().contains("io.grpc.StatusRuntimeException: NOT_FOUND"), debug::toString);
    }

    @Test
    void unreachableServiceSaysWhatToDo() throws Exception {
        server.close();
        java.nio.file.Files.deleteIfExists(runtime.resolve("runtime.sock"));
        try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(java.net.UnixDomainSocketAddress.of(runtime.resolve("runtime.sock"))); // closed at once: stale
        }
        Cli r = Cli.run(env, "ps");
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().startsWith("terok: cannot list tasks: "), r::toString);
        assertTrue(r.err().contains("hint: is the runtime service running? `terok services status` shows it"), r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);
        server = new UdsServer(runtime.resolve("other.sock"));
    }

    @Test
    void inspectPrintsJson() {
        Cli r = Cli.run(env, "inspect", "terok-abc");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("\"name\": \"terok-abc\""), r::toString);
        assertTrue(r.out().contains("\"state\": \"TASK_STATE_RUNNING\""), r::toString);
    }

    @Test
    void execPassesTheCommandVerbatimAndExitsWithItsCode() {
        Cli r = Cli.run(env, "exec", "-e", "A=1", "terok-abc", "sh", "-c", "exit 3", "--debug", "-e", "x");
        assertEquals(7, r.exit(), r::toString);
        assertEquals("sh|-c|exit 3|--debug|-e|x", r.out());
        assertEquals("err\n", r.err());
        ExecRequest req = (ExecRequest) calls.get(0);
        assertEquals(Map.of("A", "1"), req.getEnvMap());
    }

    @Test
    void runFollowsTheLogsToTheExitCodeInOneCallAndLeavesTheRemovalToRuntime() {
        Cli r = Cli.run(env, "run", "--rm", "--name", "t", "img", "sh", "-c", "echo hi");
        assertEquals(42, r.exit(), r::toString);
        assertEquals("hello\n", r.out());
        assertTrue(r.err().startsWith("task abcdef0123456789abcdef (terok-abc)\n"), r::toString);
        assertTrue(r.err().contains("oops\n"), r::toString);
        LaunchRequest launch = (LaunchRequest) calls.get(0);
        assertEquals(List.of("sh", "-c", "echo hi"), launch.getRunSpec().getCommandList());
        LogsRequest logs = (LogsRequest) calls.get(1);
        assertTrue(logs.getFollow() && logs.getWithExitCode(), logs::toString);
        assertTrue(launch.getAutoRemove(), "runtime removes the task once it has ended");
        assertEquals(2, calls.size(), "no Wait, and no Remove to wait for: " + calls);
    }

    @Test
    void runWaitsSeparatelyWhenTheRuntimeEndsTheOutputWithoutTheExitCode() {
        runtimeAnswersExitCodes = false; // a runtime-service from before LogsRequest.with_exit_code
        Cli r = Cli.run(env, "run", "--rm", "--name", "t", "img", "sh", "-c", "echo hi");
        assertEquals(42, r.exit(), r::toString);
        assertEquals("hello\n", r.out());
        assertEquals(RUNNING.getId(), ((WaitRequest) calls.get(2)).getTask());
        assertEquals(RemoveRequest.newBuilder().setTask(RUNNING.getId()).build(), calls.get(3),
                "a runtime that answered no exit code on the stream may not know auto_remove either: removed here");
    }

    @Test
    void runDetachedPrintsOnlyTheId() {
        Cli r = Cli.run(env, "run", "-d", "img");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(RUNNING.getId() + "\n", r.out());
        assertEquals(1, calls.size());
    }

    @Test
    void stopRmWaitAndLogs() {
        Cli stop = Cli.run(env, "stop", "-t", "5", "a", "b");
        assertEquals(0, stop.exit(), stop::toString);
        assertEquals("a\nb\n", stop.out());
        assertEquals(5, ((StopRequest) calls.get(1)).getGraceSeconds());
        assertEquals(2, Cli.run(env, "stop", "-t", "0", "a").exit());

        Cli rm = Cli.run(env, "rm", "-f", "terok-abc", "nope");
        assertEquals(1, rm.exit(), rm::toString);
        assertEquals(RUNNING.getId() + "\n", rm.out());
        assertTrue(rm.err().contains("terok: cannot remove nope: no task 'nope'"), rm::toString);

        Cli wait = Cli.run(env, "wait", "terok-abc");
        assertEquals("42\n", wait.out());
        assertEquals(0, wait.exit());

        Cli logs = Cli.run(env, "logs", "--tail", "10", "terok-abc");
        assertEquals("hello\n", logs.out());
        assertEquals("oops\n", logs.err());
        assertEquals(10, ((LogsRequest) calls.get(calls.size() - 1)).getTail());
    }

    @Test
    void startAndRestartSayWhenCredentialsStayRevoked() {
        Cli start = Cli.run(env, "start", "terok-abc", "revoked", "nope");
        assertEquals(1, start.exit(), start::toString);
        assertEquals("terok-abc\nrevoked (its credentials stay revoked)\n", start.out());
        assertTrue(start.err().contains("terok: cannot start nope: no task 'nope'"), start::toString);
        assertEquals(TaskRef.newBuilder().setTask("terok-abc").build(), calls.get(0));

        Cli restart = Cli.run(env, "restart", "-t", "3", "terok-abc");
        assertEquals(0, restart.exit(), restart::toString);
        assertEquals(StopRequest.newBuilder().setTask("terok-abc").setGraceSeconds(3).build(), calls.get(calls.size() - 1));
        assertEquals(2, Cli.run(env, "restart", "-t", "0", "a").exit());
    }

    @Test
    void completionScriptCoversTheVerbs() {
        Cli r = Cli.run(env, "completion");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("complete -F _complete_terok"), r::toString);
        assertTrue(r.out().contains("services"), r::toString);
        assertFalse(r.out().contains("cds-train"), "hidden verb must not be offered");
    }

    private final class Runtime extends RuntimeServiceGrpc.RuntimeServiceImplBase {
        private <T> void answer(Object request, StreamObserver<T> response, T value) {
            calls.add(request);
            response.onNext(value);
            response.onCompleted();
        }

        private boolean known(String task) {
            return !task.equals("nope");
        }

        private void notFound(Object request, String task, StreamObserver<?> response) {
            calls.add(request);
            response.onError(Status.NOT_FOUND.withDescription("no task '" + task + "'").asRuntimeException());
        }

        @Override
        public void launch(LaunchRequest request, StreamObserver<Task> response) {
            answer(request, response, RUNNING);
        }

        @Override
        public void list(ListTasksRequest request, StreamObserver<ListTasksResponse> response) {
            ListTasksResponse.Builder b = ListTasksResponse.newBuilder().addTasks(RUNNING);
            if (request.getAll()) {
                b.addTasks(EXITED);
            }
            answer(request, response, b.build());
        }

        @Override
        public void inspect(TaskRef request, StreamObserver<Task> response) {
            if (known(request.getTask())) {
                answer(request, response, RUNNING);
            } else {
                notFound(request, request.getTask(), response);
            }
        }

        @Override
        public void logs(LogsRequest request, StreamObserver<LogChunk> response) {
            calls.add(request);
            response.onNext(LogChunk.newBuilder().setStream(OutputStream.OUTPUT_STREAM_STDOUT)
                    .setData(ByteString.copyFromUtf8("hello\n")).build());
            response.onNext(LogChunk.newBuilder().setStream(OutputStream.OUTPUT_STREAM_STDERR)
                    .setData(ByteString.copyFromUtf8("oops\n")).build());
            if (request.getWithExitCode() && runtimeAnswersExitCodes) {
                response.onNext(LogChunk.newBuilder().setExited(true).setExitCode(42).build());
            }
            response.onCompleted();
        }

        @Override
        public void exec(ExecRequest request, StreamObserver<ExecResponse> response) {
            answer(request, response, ExecResponse.newBuilder().setExitCode(7)
                    .setStdout(ByteString.copyFromUtf8(String.join("|", request.getCommandList())))
                    .setStderr(ByteString.copyFromUtf8("err\n")).build());
        }

        @Override
        public void wait(WaitRequest request, StreamObserver<WaitResponse> response) {
            answer(request, response, WaitResponse.newBuilder().setExitCode(42).build());
        }

        @Override
        public void stop(StopRequest request, StreamObserver<Task> response) {
            answer(request, response, RUNNING);
        }

        @Override
        public void start(TaskRef request, StreamObserver<Task> response) {
            if (request.getTask().equals("revoked")) {
                answer(request, response, RUNNING.toBuilder().setWiring(io.terok.api.v1.TaskWiring.newBuilder()
                        .setCredentialsRevoked(true)).build());
            } else if (known(request.getTask())) {
                answer(request, response, RUNNING);
            } else {
                notFound(request, request.getTask(), response);
            }
        }

        @Override
        public void restart(StopRequest request, StreamObserver<Task> response) {
            answer(request, response, RUNNING);
        }

        @Override
        public void remove(RemoveRequest request, StreamObserver<RemoveResponse> response) {
            if (known(request.getTask())) {
                answer(request, response, RemoveResponse.newBuilder().setId(RUNNING.getId()).build());
            } else {
                notFound(request, request.getTask(), response);
            }
        }
    }
}
