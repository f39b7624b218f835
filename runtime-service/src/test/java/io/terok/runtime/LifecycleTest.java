package io.terok.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.EventsRequest;
import io.terok.api.v1.ExecRequest;
import io.terok.api.v1.ExecResponse;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.LogChunk;
import io.terok.api.v1.LogsRequest;
import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.StopRequest;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskEvent;
import io.terok.api.v1.TaskEventKind;
import io.terok.api.v1.TaskRef;
import io.terok.api.v1.TaskState;
import io.terok.api.v1.WaitRequest;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
class LifecycleTest extends RuntimeServiceTest {
    @Test
    void launchListExecLogsStopWaitRemove() throws Exception {
        List<TaskEvent> events = new CopyOnWriteArrayList<>();
        CountDownLatch died = new CountDownLatch(1);
        Context.CancellableContext watch = Context.current().withCancellation();
        Thread watcher = new Thread(() -> watch.run(() -> {
            try {
                Iterator<TaskEvent> it = io.terok.api.v1.RuntimeServiceGrpc.newBlockingStub(
                        io.terok.common.grpc.UnixChannels.open(java.nio.file.Path.of(
                                org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class), "runtime.sock")))
                        .events(EventsRequest.getDefaultInstance());
                while (it.hasNext()) {
                    TaskEvent e = it.next();
                    events.add(e);
                    if (e.getKind() == TaskEventKind.TASK_EVENT_KIND_DIED) {
                        died.countDown();
                    }
                }
            } catch (io.grpc.StatusRuntimeException e) {
                // cancelled at the end of the test
            }
        }));
        watcher.start();
        Thread.sleep(300);

        Task t = api.launch(RuntimeApi.offline("sh", "-c", "echo started; echo to-stderr >&2; trap 'echo bye; exit 7' TERM; while true; do sleep 0.1; done")
                .setName("lifecycle-test"));
        try {
            assertEquals(TaskState.TASK_STATE_RUNNING, t.getState());
            assertEquals(List.of(t.getContainerId().substring(0, 12)),
                    RuntimeApi.podmanTaskContainers().stream().filter(id -> t.getContainerId().startsWith(id)).toList());
            assertTrue(api.stub().list(ListTasksRequest.getDefaultInstance()).getTasksList().stream()
                    .anyMatch(x -> x.getId().equals(t.getId()) && x.getName().equals("lifecycle-test")));
            assertEquals(t.getId(), api.stub().inspect(TaskRef.newBuilder().setTask("lifecycle-test").build()).getId(), "found by name");
            assertEquals(t.getId(), api.stub().inspect(TaskRef.newBuilder().setTask(t.getId().substring(0, 8)).build()).getId(), "by prefix");

            ExecResponse ex = api.stub().exec(ExecRequest.newBuilder().setTask(t.getId())
                    .addAllCommand(List.of("sh", "-c", "echo out-$X; echo err >&2; exit 3")).putEnv("X", "42").build());
            assertEquals(3, ex.getExitCode());
            assertEquals("out-42\n", ex.getStdout().toStringUtf8());
            assertEquals("err\n", ex.getStderr().toStringUtf8());

            // Follow the logs: the stream stays open while the task runs and ends when it exits.
            StringBuilder stdout = new StringBuilder();
            StringBuilder stderr = new StringBuilder();
            CountDownLatch sawStart = new CountDownLatch(1);
            CountDownLatch streamEnded = new CountDownLatch(1);
            Thread follower = new Thread(() -> {
                Iterator<LogChunk> it = api.stub().logs(LogsRequest.newBuilder().setTask(t.getId()).setFollow(true).build());
                while (it.hasNext()) {
                    LogChunk c = it.next();
                    (c.getStream() == io.terok.api.v1.OutputStream.OUTPUT_STREAM_STDERR ? stderr : stdout)
                            .append(c.getData().toString(StandardCharsets.UTF_8));
                    if (stdout.toString().contains("started")) {
                        sawStart.countDown();
                    }
                }
                streamEnded.countDown();
            });
            follower.start();
            assertTrue(sawStart.await(20, TimeUnit.SECONDS), "log follow delivers output while running");
            assertEquals(1, streamEnded.getCount(), "follow stays open while the task runs");

            Task stopped = api.stub().stop(StopRequest.newBuilder().setTask(t.getId()).setGraceSeconds(5).build());
            assertEquals(TaskState.TASK_STATE_EXITED, stopped.getState());
            assertEquals(7, api.stub().wait(WaitRequest.newBuilder().setTask(t.getId()).build()).getExitCode(), "TERM reached the task's trap");
            assertTrue(streamEnded.await(20, TimeUnit.SECONDS), "follow ends when the task exits");
            assertTrue(stdout.toString().contains("bye"), stdout.toString());
            assertEquals("to-stderr\n", stderr.toString());
            assertTrue(died.await(20, TimeUnit.SECONDS), "a died event arrived");
        } finally {
            api.stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).setForce(true).build());
            watch.cancel(null);
        }
        assertTrue(RuntimeApi.podmanTaskContainers().stream().noneMatch(t.getContainerId()::startsWith), "container gone");
        assertEquals(Status.Code.NOT_FOUND, RuntimeApi.expectError(() -> api.stub().inspect(TaskRef.newBuilder().setTask(t.getId()).build()))
                .getStatus().getCode(), "record gone");
        List<TaskEventKind> kinds = events.stream().filter(e -> e.getTaskId().equals(t.getId())).map(TaskEvent::getKind).toList();
        assertTrue(kinds.contains(TaskEventKind.TASK_EVENT_KIND_STARTED), kinds.toString());
        assertTrue(kinds.contains(TaskEventKind.TASK_EVENT_KIND_DIED), kinds.toString());
    }

    /** terok run's one call: the task's output to its end, then its exit code as the stream's last message. */
    @Test
    void logsWithExitCodeFollowTheOutputAndEndWithTheExitCode() {
        Task t = api.launch(RuntimeApi.offline("sh", "-c", "sleep 0.5; echo one; echo two >&2; sleep 0.3; echo three; exit 5"));
        try {
            List<LogChunk> chunks = new java.util.ArrayList<>();
            api.stub().logs(LogsRequest.newBuilder().setTask(t.getId()).setFollow(true).setWithExitCode(true).build())
                    .forEachRemaining(chunks::add);
            LogChunk last = chunks.get(chunks.size() - 1);
            assertTrue(last.getExited() && last.getData().isEmpty(), "the last message is the exit: " + chunks);
            assertEquals(5, last.getExitCode());
            assertEquals(1, chunks.stream().filter(LogChunk::getExited).count(), chunks.toString());
            StringBuilder out = new StringBuilder();
            StringBuilder err = new StringBuilder();
            chunks.forEach(c -> (c.getStream() == io.terok.api.v1.OutputStream.OUTPUT_STREAM_STDERR ? err : out)
                    .append(c.getData().toString(StandardCharsets.UTF_8)));
            assertEquals("one\nthree\n", out.toString(), "all of the output came before the exit");
            assertEquals("two\n", err.toString());

            var e = RuntimeApi.expectError(() -> api.stub().logs(LogsRequest.newBuilder().setTask(t.getId())
                    .setWithExitCode(true).build()).hasNext());
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().startsWith("with_exit_code: only with follow"), e.getStatus().getDescription());
        } finally {
            api.stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).setForce(true).build());
        }
    }

    /**
     * A task that outlives any early window (3 s): Logs(with_exit_code) ends at its exit, told by runtime's own event
     * stream, not at podman's end of the follow, which comes ~0.5 s after the exit (a second follower, `podman logs -f`
     * started beside it, sees that end). Before, runtime kept podman's follow to its end and answered 9-14 ms before
     * the second follower's EOF (this test failed there); now typically 0.15-0.27 s before it, less when the read of the
     * rest waits for podman's exit command to let go of the container's lock (60 ms seen at load 6): hence the best of
     * three runs, which the old code, ending with podman's follow by construction, never reaches.
     */
    @Test
    void logsWithExitCodeOfALongerTaskEndAtItsExitBeforePodmansFollowEnds() throws Exception {
        List<Long> margins = new java.util.ArrayList<>();
        while (margins.size() < 3 && margins.stream().noneMatch(m -> m >= 100)) {
            margins.add(exitCodeAheadOfPodmansFollow());
        }
        assertTrue(margins.stream().anyMatch(m -> m >= 100), "the exit code came " + margins + " ms before podman's "
                + "follow ended (at least 100 ms in one of three runs expected: runtime cuts its follow at the exit)");
    }

    /** Runs `sleep 3; echo done` to its exit code: how many ms before a `podman logs -f` beside it that code came. */
    private static long exitCodeAheadOfPodmansFollow() throws Exception {
        Task t = api.launch(RuntimeApi.offline("sh", "-c", "sleep 3; echo done"));
        try {
            Process second = new ProcessBuilder("podman", "logs", "-f", t.getContainerId()).redirectErrorStream(true).start();
            java.util.concurrent.CompletableFuture<Long> secondEnd = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    second.getInputStream().readAllBytes();
                    return System.nanoTime();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            List<LogChunk> chunks = new java.util.ArrayList<>();
            api.stub().logs(LogsRequest.newBuilder().setTask(t.getId()).setFollow(true).setWithExitCode(true).build())
                    .forEachRemaining(chunks::add);
            long exitCodeAt = System.nanoTime();
            long followerEnd = secondEnd.get(60, TimeUnit.SECONDS);
            assertTrue(second.waitFor(60, TimeUnit.SECONDS) && second.exitValue() == 0, "podman logs -f ended well");

            LogChunk last = chunks.get(chunks.size() - 1);
            assertTrue(last.getExited() && last.getExitCode() == 0, "the last message is the exit: " + chunks);
            assertEquals("done\n", chunks.stream().filter(c -> !c.getExited())
                    .map(c -> c.getData().toString(StandardCharsets.UTF_8)).reduce("", String::concat), "all of the output, once");
            long ahead = (followerEnd - exitCodeAt) / 1_000_000;
            System.out.println("the exit code came " + ahead + " ms before podman's own follow ended");
            return ahead;
        } finally {
            api.stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).setForce(true).build());
        }
    }

    /**
     * A task that has exited before its output is asked for (`terok run --rm IMAGE true`): runtime reads the log without
     * podman's follow (which would end only at podman's next poll), and all of it still comes, then the exit code.
     */
    @Test
    void logsWithExitCodeOfATaskThatHasAlreadyExitedGiveAllOfItsOutput() throws Exception {
        Task t = api.launch(RuntimeApi.offline("sh", "-c", "echo one; echo two >&2; echo three; exit 4"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            TaskState state;
            while ((state = api.stub().inspect(TaskRef.newBuilder().setTask(t.getId()).build()).getState())
                    != TaskState.TASK_STATE_EXITED) {
                assertTrue(System.nanoTime() < deadline, "the task exits within 60 s; state " + state);
                Thread.sleep(20);
            }
            List<LogChunk> chunks = new java.util.ArrayList<>();
            api.stub().logs(LogsRequest.newBuilder().setTask(t.getId()).setFollow(true).setWithExitCode(true).build())
                    .forEachRemaining(chunks::add);
            LogChunk last = chunks.get(chunks.size() - 1);
            assertTrue(last.getExited(), "the last message is the exit: " + chunks);
            assertEquals(4, last.getExitCode());
            StringBuilder out = new StringBuilder();
            StringBuilder err = new StringBuilder();
            chunks.forEach(c -> (c.getStream() == io.terok.api.v1.OutputStream.OUTPUT_STREAM_STDERR ? err : out)
                    .append(c.getData().toString(StandardCharsets.UTF_8)));
            assertEquals("one\nthree\n", out.toString());
            assertEquals("two\n", err.toString());
        } finally {
            api.stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).setForce(true).build());
        }
    }

    @Test
    void removingARunningTaskNeedsForce() {
        Task t = api.launch(RuntimeApi.offline("sleep", "30"));
        try {
            var e = RuntimeApi.expectError(() -> api.stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("running"), e.getStatus().getDescription());
            assertFalse(RuntimeApi.podmanTaskContainers().stream().noneMatch(t.getContainerId()::startsWith), "still there");
        } finally {
            api.stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).setForce(true).build());
        }
        assertTrue(RuntimeApi.podmanTaskContainers().stream().noneMatch(t.getContainerId()::startsWith));
    }
}
