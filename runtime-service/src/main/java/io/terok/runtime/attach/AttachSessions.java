package io.terok.runtime.attach;

import io.terok.api.v1.AttachStart;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskState;
import io.terok.api.v1.WindowSize;
import io.terok.common.ServiceException;
import io.terok.runtime.podman.HijackedStream;
import io.terok.runtime.podman.PodmanSessions;
import io.terok.runtime.task.AutoRemoval;
import io.terok.runtime.task.TaskManager;
import java.util.concurrent.Semaphore;

/**
 * Opens interactive sessions in running tasks: the container's main process, or a new exec session running a given
 * command (a shell, an agent's interactive command). Each session holds one podman connection and one thread that
 * copies output to its client; their number is capped so clients cannot pile up threads and sockets.
 */
public final class AttachSessions {
    /** Largest rows or columns a client may ask for: more is no terminal. */
    static final int MAX_DIMENSION = 10_000;

    private final TaskManager tasks;
    private final PodmanSessions podman;
    private final Semaphore slots;
    private final int maxSessions;
    private final Transcripts transcripts;

    /** Where a session's output is kept besides going to its client, per task; none for most tasks. */
    public interface Transcripts {
        /** Keeps one chunk of a session's terminal output; false when no more is kept (the session stops asking). */
        interface Sink {
            boolean keep(byte[] data, int length);
        }

        /** The sink for an exec session with a terminal in {@code task}, or null when its output is not kept. */
        Sink open(Task task);

        Transcripts NONE = task -> null;
    }

    public AttachSessions(TaskManager tasks, PodmanSessions podman, int maxSessions) {
        this(tasks, podman, maxSessions, Transcripts.NONE);
    }

    public AttachSessions(TaskManager tasks, PodmanSessions podman, int maxSessions, Transcripts transcripts) {
        this.tasks = tasks;
        this.podman = podman;
        this.maxSessions = maxSessions;
        this.slots = new Semaphore(maxSessions);
        this.transcripts = transcripts;
    }

    /**
     * Checks the start message, attaches, tells the client {@code ready} and starts copying output. Nothing is
     * attached or started when this throws.
     */
    public AttachSession open(AttachStart start, AttachPeer peer) {
        validate(start);
        Task task = tasks.inspect(start.getTask());
        if (task.getState() != TaskState.TASK_STATE_RUNNING) {
            throw ServiceException.precondition("task " + task.getName() + " is not running (state "
                    + task.getState().name().replace("TASK_STATE_", "").toLowerCase(java.util.Locale.ROOT)
                    + "); `terok logs " + task.getName() + "` shows what it did");
        }
        if (!slots.tryAcquire()) {
            throw ServiceException.unavailable("too many attached sessions (" + maxSessions + "); detach one first");
        }
        AutoRemoval.Follower follower = null;
        try {
            boolean exec = start.getCommandCount() > 0;
            int rows = start.hasSize() ? (int) start.getSize().getRows() : 0;
            int columns = start.hasSize() ? (int) start.getSize().getColumns() : 0;
            AttachSession session;
            if (exec) {
                String execId = podman.createExec(task.getContainerId(), start.getCommandList(), start.getEnvMap(),
                        start.getWorkdir(), start.getTty());
                HijackedStream stream = podman.startExec(execId, start.getTty(), rows, columns);
                session = new AttachSession(task, execId, start.getTty(), stream, podman, tasks, peer, slots::release);
                if (start.getTty()) {
                    session.transcript(transcripts.open(task));
                }
            } else {
                // A client on the main process follows it to its exit code, as `terok run` without a TTY does through
                // Logs: an auto-remove task (`terok run -t --rm`) is removed by runtime once this client has had the
                // exit code, or once the task has ended after the client went away (detached, killed).
                follower = tasks.followToExit(task.getId());
                boolean tty = task.getSpec().getTty();
                HijackedStream stream = podman.attach(task.getContainerId(), tty, start.getReplay());
                session = new AttachSession(task, "", tty, stream, podman, tasks, peer, slots::release);
                session.follower(follower);
                if (tty && rows > 0 && columns > 0) {
                    session.resize(rows, columns);
                }
            }
            session.begin();
            return session;
        } catch (RuntimeException e) {
            slots.release();
            if (follower != null) {
                follower.gone(); // the session never began, so no pump will tell it
            }
            throw e;
        }
    }

    static void validate(AttachStart start) {
        if (start.getTask().isBlank()) {
            throw ServiceException.invalid("start.task", "must name a task (id, id prefix or name)");
        }
        for (int i = 0; i < start.getCommandCount(); i++) {
            if (start.getCommand(i).indexOf('\0') >= 0) {
                throw ServiceException.invalid("start.command[" + i + "]", "must not contain NUL");
            }
        }
        if (start.getCommandCount() > 0 && start.getCommand(0).isEmpty()) {
            throw ServiceException.invalid("start.command[0]", "must name the program to run");
        }
        if (start.getCommandCount() > 0 && start.getReplay()) {
            throw ServiceException.invalid("start.replay", "applies to the main process only: an exec session has no earlier output");
        }
        if (start.getCommandCount() == 0 && (!start.getEnvMap().isEmpty() || !start.getWorkdir().isEmpty() || start.getTty())) {
            throw ServiceException.invalid("start.command", "env, workdir and tty apply to an exec session only: give "
                    + "a command, or leave them out to attach to the main process (its TTY is the one it was launched with)");
        }
        start.getEnvMap().keySet().forEach(k -> {
            if (k.isEmpty() || k.contains("=") || k.indexOf('\0') >= 0) {
                throw ServiceException.invalid("start.env", "'" + io.terok.common.Printable.line(k) + "' is not a variable name");
            }
        });
        if (start.hasSize()) {
            size("start.size", start.getSize());
        }
    }

    static void size(String field, WindowSize size) {
        if (size.getRows() < 1 || size.getRows() > MAX_DIMENSION || size.getColumns() < 1 || size.getColumns() > MAX_DIMENSION) {
            throw ServiceException.invalid(field, "rows and columns must be 1.." + MAX_DIMENSION + ", got "
                    + Integer.toUnsignedString(size.getRows()) + "x" + Integer.toUnsignedString(size.getColumns()));
        }
    }
}
