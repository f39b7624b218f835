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
