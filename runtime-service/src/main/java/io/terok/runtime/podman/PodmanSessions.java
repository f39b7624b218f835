package io.terok.runtime.podman;

import java.util.List;
import java.util.Map;

/**
 * Interactive sessions in a running container, over podman's hijacked attach and exec connections. Apart from
 * {@link PodmanApi} because only the attach path needs them, and they are byte streams rather than calls.
 */
public interface PodmanSessions {
    /**
     * Attaches to the container's main process: its output (first what it already wrote when {@code replay}), and
     * its stdin when {@code stdin}.
     */
    HijackedStream attach(String containerId, boolean stdin, boolean replay);

    /** Creates an exec session (not started yet); returns its id. */
    String createExec(String containerId, List<String> command, Map<String, String> env, String workdir, boolean tty);

    /** Starts an exec session attached: stdin, stdout and stderr on the returned stream. */
    HijackedStream startExec(String execId, boolean tty, int rows, int columns);

    /** Sets the TTY size of the container's main process. */
    void resize(String containerId, int rows, int columns);

    /** Sets the TTY size of an exec session. */
    void resizeExec(String execId, int rows, int columns);

    /** Whether the exec session's process still runs, and its exit code once it ended. */
    ExecState execState(String execId);

    record ExecState(boolean running, int exitCode) {
    }
}
