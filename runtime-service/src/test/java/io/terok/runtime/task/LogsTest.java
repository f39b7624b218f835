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

    private static List<String> logsCalls(FakeRuntime rt) {
        return rt.log.calls().stream().filter(c -> c.startsWith("podman.logs")).toList();
    }
}
