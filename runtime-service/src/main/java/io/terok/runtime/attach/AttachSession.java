package io.terok.runtime.attach;

import com.google.protobuf.ByteString;
import io.terok.api.v1.AttachEnd;
import io.terok.api.v1.AttachOutput;
import io.terok.api.v1.AttachReady;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskState;
import io.terok.api.v1.WindowSize;
import io.terok.common.ServiceException;
import io.terok.runtime.podman.HijackedStream;
import io.terok.runtime.podman.PodmanException;
import io.terok.runtime.podman.PodmanSessions;
import io.terok.runtime.task.AutoRemoval;
import io.terok.runtime.task.TaskManager;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * One attached session: the task's output copied to the client by a thread of its own, the client's input written
 * to the task, and at the end the exit code (or "detached" when the process outlives the session).
 */
public final class AttachSession {
    private static final Logger LOG = Logger.getLogger(AttachSession.class);
    /** One read from podman, and so the most a session holds beyond what gRPC has in flight. */
    static final int CHUNK = 32 * 1024;
    /** The largest single stdin message; a terminal sends a few bytes at a time. */
    public static final int MAX_INPUT = 64 * 1024;
    /** How long the end of the output may precede the process's exit being visible to podman. */
    private static final Duration EXIT_GRACE = Duration.ofSeconds(10);

    private final Task task;
    private final String execId;
    private final boolean tty;
    private final HijackedStream stream;
    private final PodmanSessions podman;
    private final TaskManager tasks;
    private final AttachPeer peer;
    private final Runnable release;
    private final AtomicBoolean detached = new AtomicBoolean();
    private final AtomicBoolean over = new AtomicBoolean();
    private final Object stdinLock = new Object();
    /** Where the session's terminal output is kept too (an agent task's interactive session), or null. */
    private volatile AttachSessions.Transcripts.Sink transcript;
    /** Told whether this session's client had the exit code (an auto-remove task is removed once it has), or null. */
    private volatile AutoRemoval.Follower follower;

    AttachSession(Task task, String execId, boolean tty, HijackedStream stream, PodmanSessions podman, TaskManager tasks,
            AttachPeer peer, Runnable release) {
        this.task = task;
        this.execId = execId;
        this.tty = tty;
        this.stream = stream;
        this.podman = podman;
        this.tasks = tasks;
        this.peer = peer;
        this.release = release;
    }

    void transcript(AttachSessions.Transcripts.Sink sink) {
        this.transcript = sink;
    }

    void follower(AutoRemoval.Follower f) {
        this.follower = f;
    }

    void begin() {
        peer.send(AttachOutput.newBuilder().setReady(AttachReady.newBuilder().setTaskId(task.getId()).setTty(tty)
                .setExecId(execId)).build());
        Thread pump = new Thread(this::pump, "attach-" + task.getId().substring(0, 12));
        pump.setDaemon(true);
        pump.start();
    }

    /** Bytes for the task's stdin; blocks while the task does not read them (the client then waits for us). */
    public void stdin(byte[] data) {
        if (data.length > MAX_INPUT) {
            throw ServiceException.invalid("stdin", "at most " + MAX_INPUT + " bytes a message, got " + data.length);
        }
        if (execId.isEmpty() && !tty) {
            throw ServiceException.precondition("task " + task.getName() + " was launched without a TTY: its stdin is "
                    + "closed (launch with a TTY, or start a command with one: `terok login`)");
        }
        synchronized (stdinLock) {
            try {
                stream.output().write(data);
                stream.output().flush();
            } catch (IOException e) {
                // The session is ending; its end message says how.
                LOG.debugf("stdin of task %s closed: %s", task.getId(), e.getMessage());
            }
        }
    }

    /** The client's stdin ended: the task reads end-of-file. */
    public void closeStdin() {
        stream.closeStdin();
    }

    public void resize(int rows, int columns) {
        AttachSessions.size("resize", WindowSize.newBuilder().setRows(rows).setColumns(columns).build());
        if (!tty) {
            return;
        }
        try {
            if (execId.isEmpty()) {
                podman.resize(task.getContainerId(), rows, columns);
            } else {
                podman.resizeExec(execId, rows, columns);
            }
        } catch (PodmanException e) {
            // A resize racing the end of the process: the session's end tells the client what happened.
            LOG.debugf("resize in task %s: %s", task.getId(), e.getMessage());
        }
    }

    /** The client leaves; the process keeps running. The pump then ends the session with "detached". */
    public void detach() {
        detached.set(true);
        stream.close();
    }

    /** The client is gone (cancelled, or its connection dropped): let go of podman's connection. */
    public void cancel() {
        detached.set(true);
        stream.close();
    }

    private void pump() {
        Throwable failure = null;
        boolean exitDelivered = false;
        try {
            copyOutput();
            if (!over.get()) {
                AttachEnd end = end();
                exitDelivered = peer.send(AttachOutput.newBuilder().setEnd(end).build()) && !end.getDetached();
            }
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            stream.close();
            release.run();
            if (over.compareAndSet(false, true)) {
                peer.finish(failure);
            }
            AutoRemoval.Follower f = follower;
            if (f != null) {
                // After the end message: the container is removed only once its client has had the exit code.
                if (exitDelivered) {
                    f.delivered();
                } else {
                    f.gone();
                }
            }
        }
    }

    private void copyOutput() {
        InputStream in = stream.input();
        byte[] buf = new byte[CHUNK];
        Demux demux = tty ? null : new Demux();
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (n == 0) {
                    continue;
                }
                AttachSessions.Transcripts.Sink keep = transcript;
                if (keep != null && !keep.keep(buf, n)) {
                    transcript = null;
                }
                boolean delivered;
                if (demux == null) {
                    delivered = peer.send(AttachOutput.newBuilder().setStdout(ByteString.copyFrom(buf, 0, n)).build());
                } else {
                    delivered = demux.feed(buf, n, peer);
                }
                if (!delivered) {
                    // The client is gone: stop reading, so podman holds the task's output, not us.
                    detached.set(true);
                    over.set(true);
                    return;
                }
            }
        } catch (IOException e) {
            // Closed by detach/cancel, or podman cut the stream: end() tells which.
            LOG.debugf("attach stream of task %s ended: %s", task.getId(), e.getMessage());
        }
    }

    private AttachEnd end() {
        if (detached.get()) {
            return AttachEnd.newBuilder().setDetached(true).build();
        }
        long deadline = System.nanoTime() + EXIT_GRACE.toNanos();
        if (!execId.isEmpty()) {
            // podman closes the stream as the process exits, and records the exit code a moment later.
            while (true) {
                PodmanSessions.ExecState s = podman.execState(execId);
                if (!s.running()) {
                    return AttachEnd.newBuilder().setExitCode(s.exitCode()).build();
                }
                if (System.nanoTime() > deadline) {
                    return AttachEnd.newBuilder().setDetached(true).build();
                }
                sleep(20);
            }
        }
        Task now = tasks.inspect(task.getId());
        if (now.getState() == TaskState.TASK_STATE_RUNNING) {
            try {
                return AttachEnd.newBuilder().setExitCode(tasks.waitExit(task.getId(), EXIT_GRACE)).build();
            } catch (PodmanException e) {
                if (e.timedOut()) {
                    return AttachEnd.newBuilder().setDetached(true).build();
                }
                throw e;
            }
        }
        return AttachEnd.newBuilder().setExitCode(now.getExitCode()).build();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ServiceException.unavailable("interrupted while waiting for the exit code");
        }
    }

    /**
     * podman's multiplexed frames (without a TTY): an 8-byte header (stream, 3 zero bytes, big-endian length), then
     * the payload. Payloads are forwarded in pieces as they arrive, so a huge frame never has to fit in memory.
     */
    static final class Demux {
        private final byte[] header = new byte[8];
        private int headerFill;
        private long remaining;
        private int streamId;

        boolean feed(byte[] buf, int n, AttachPeer peer) {
            int pos = 0;
            while (pos < n) {
                if (remaining == 0) {
                    header[headerFill++] = buf[pos++];
                    if (headerFill == 8) {
                        headerFill = 0;
                        streamId = header[0];
                        remaining = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
                                | (header[7] & 0xff);
                    }
                    continue;
                }
                int take = (int) Math.min(remaining, n - pos);
                ByteString data = ByteString.copyFrom(buf, pos, take);
                AttachOutput.Builder out = AttachOutput.newBuilder();
                if (streamId == 2) {
                    out.setStderr(data);
                } else {
                    out.setStdout(data);
                }
                if (!peer.send(out.build())) {
                    return false;
                }
                pos += take;
                remaining -= take;
            }
            return true;
        }
    }
}
