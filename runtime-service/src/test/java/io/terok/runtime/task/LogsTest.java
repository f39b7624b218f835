package io.terok.runtime.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.terok.api.v1.Task;
import io.terok.runtime.fake.FakeRuntime;
import io.terok.runtime.podman.OutputSink;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a task's output is asked of podman when a client follows it. */
class LogsTest {
    private static final OutputSink NOWHERE = new OutputSink() {
        @Override
        public void output(int stream, byte[] data) {
        }

        @Override
        public void end(Throwable error) {
        }
    };

    @TempDir
    Path dir;

    /**
     * podman ends a followed log only at its next poll, 250-500 ms after the exit: a task that has already exited (`terok
     * run --rm IMAGE true`: the process is done before the launch has answered) is read to its end without follow.
     */
    @Test
    void followingATaskThatHasExitedReadsItsLogToTheEndWithoutFollow() {
        FakeRuntime rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));
        rt.podman.exit(rt.store.get(t.getId()).orElseThrow().getContainerId(), 0);

        rt.tasks.logs(t.getId(), true, 0, NOWHERE).close();

        assertEquals(List.of("podman.logs to the end"), logsCalls(rt));
    }

    @Test
    void followingARunningTaskFollows() {
        FakeRuntime rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));

        rt.tasks.logs(t.getId(), true, 0, NOWHERE).close();
        rt.tasks.logs(t.getId(), false, 0, NOWHERE).close();

        assertEquals(List.of("podman.logs follow", "podman.logs to the end"), logsCalls(rt));
    }

    /**
     * podman ends the follow of a running task ~0.5 s after its exit: runtime cuts it at the exit its event stream tells
     * and reads the rest of the (then complete) log without follow: every chunk once, in order, and one end.
     */
    @Test
    void theFollowOfARunningTaskEndsAtItsExitWithTheRestOfItsOutput() throws Exception {
        FakeRuntime rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));
        String container = rt.store.get(t.getId()).orElseThrow().getContainerId();
        rt.podman.holdFollows(true); // podman's follow: no end of its own before the test is over
        rt.podman.write(container, 1, "one\n");
        List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CompletableFuture<Integer> exit = rt.tasks.exitOf(t.getId());

        rt.tasks.logs(t.getId(), true, 0, new OutputSink() {
            @Override
            public void output(int stream, byte[] data) {
                got.add(stream + ":" + new String(data, java.nio.charset.StandardCharsets.UTF_8));
            }

            @Override
            public void end(Throwable error) {
                got.add(error == null ? "end" : "end " + error);
            }
        });
        rt.podman.write(container, 2, "two\n"); // after the follow's last chunk: only the read of the rest has it
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (rt.podman.eventStreamsOpen() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        rt.podman.exit(container, 4);
        while (!got.contains("end") && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }

        assertEquals(List.of("1:one\n", "2:two\n", "end"), got, "the output whole, in order, once, and one end");
        assertEquals(4, exit.get(30, java.util.concurrent.TimeUnit.SECONDS), "the exit code podman's event told");
        assertEquals(List.of("podman.logs follow", "podman.logs to the end"), logsCalls(rt));
    }

    private static List<String> logsCalls(FakeRuntime rt) {
        return rt.log.calls().stream().filter(c -> c.startsWith("podman.logs")).toList();
    }
}
