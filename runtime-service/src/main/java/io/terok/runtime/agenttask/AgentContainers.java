package io.terok.runtime.agenttask;

import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.Task;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** The task containers agent tasks run in: runtime's own launch path ({@link TaskManagerContainers}). */
public interface AgentContainers {
    String hostLoopbackAddress();

    /** {@code ownedMounts}: host paths made for this task, chowned to the container's user by podman. */
    Task launch(LaunchRequest request, String taskId, java.util.Set<String> ownedMounts);

    /** A short command in the task's container; its exit code, stdout and stderr. */
    Exec exec(String taskId, List<String> command, String workdir, Duration timeout);

    record Exec(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs argv in the container as its user, every output line (sanitised) to {@code lines}; the exit code. */
    int stream(String taskId, List<String> argv, Map<String, String> env, String workdir, Duration deadline, Consumer<String> lines);

    /**
     * Follows the output of the container's own process (stdout and stderr, each line sanitised), from its start:
     * the agent a headless task starts with ({@link TaskStart}). Close it to stop following.
     */
    Output follow(String taskId);

    /** A followed output: the calling thread takes its lines, so nothing of the reader runs on podman's I/O thread. */
    interface Output extends AutoCloseable {
        /** The next line; {@link #END} when the container's output ended (it exited), {@link #TIMED_OUT} at the deadline. */
        String next(java.time.Instant deadline);

        @Override
        void close();
    }

    /** Marks the end of a followed output; compared by identity. */
    @SuppressWarnings("StringOperationCanBeSimplified")
    String END = new String("end of output");
    @SuppressWarnings("StringOperationCanBeSimplified")
    String TIMED_OUT = new String("deadline reached");

    /**
     * Writes {@code content} to {@code path} inside the running container, as the container's user, private (0600),
     * the content through stdin (never argv): a file that must hold what only the running task knows, its phantom.
     */
    void writeFile(String taskId, String path, String content);

    void stop(String taskId);

    /** Stops the container when it runs and starts it again with its wiring (RuntimeService.Restart). */
    void restart(String taskId);

    /** Removes the container and releases its tokens, gate token, firewall and clearance registration. */
    List<String> remove(String taskId);

    /** podman's state of the task's container ("running", "exited", "missing"). */
    String state(String taskId);
}
