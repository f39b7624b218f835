package io.terok.runtime.agenttask;

import io.terok.api.v1.ExecResponse;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.Task;
import io.terok.common.HostProcess;
import io.terok.common.ServiceException;
import io.terok.runtime.podman.OutputSink;
import io.terok.runtime.podman.StreamHandle;
import io.terok.runtime.task.TaskManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@link AgentContainers} over {@link TaskManager} (launch, exec, stop, remove: the same path as `terok run`) and, for
 * the agent's long, streamed run, the podman CLI against the very API socket runtime uses ({@code podman --url}), so
 * the same works when runtime runs in its Quadlet container with the host's podman socket.
 */
public final class TaskManagerContainers implements AgentContainers {
    private final TaskManager tasks;
    private final Path podmanSocket;

    public TaskManagerContainers(TaskManager tasks, Path podmanSocket) {
        this.tasks = tasks;
        this.podmanSocket = podmanSocket;
    }

    @Override
    public String hostLoopbackAddress() {
        return tasks.hostLoopbackAddress();
    }

    @Override
    public Task launch(LaunchRequest request, String taskId, java.util.Set<String> ownedMounts) {
        return tasks.launch(request, taskId, ownedMounts);
    }

    @Override
    public Exec exec(String taskId, List<String> command, String workdir, Duration timeout) {
        ExecResponse r = tasks.exec(taskId, command, Map.of(), workdir, (int) Math.max(1, timeout.toSeconds()));
        return new Exec(r.getExitCode(), r.getStdout().toString(StandardCharsets.UTF_8), r.getStderr().toString(StandardCharsets.UTF_8));
    }

    @Override
    public int stream(String taskId, List<String> argv, Map<String, String> env, String workdir, Duration deadline,
            Consumer<String> lines) {
        Task t = tasks.inspect(taskId);
        List<String> cmd = new ArrayList<>(List.of("podman", "--url", "unix://" + podmanSocket, "exec", "--workdir", workdir));
        // Values here are the agent's settings (paths, broker URL, model), never the phantom token: the container's own
        // environment carries that, and podman exec inherits it.
        env.forEach((k, v) -> cmd.addAll(List.of("--env", k + "=" + v)));
        cmd.add(t.getContainerId());
        cmd.addAll(argv);
        try {
            HostProcess.Result r = HostProcess.of(cmd).timeout(deadline).maxOutput(64 * 1024).lines(lines).run();
            if (r.timedOut()) {
                return 124;
            }
            return r.exitCode();
        } catch (IOException e) {
            throw ServiceException.unavailable("cannot run podman: " + e.getMessage());
        }
    }

    @Override
    public Output follow(String taskId) {
        java.util.concurrent.BlockingQueue<String> queue = new java.util.concurrent.LinkedBlockingQueue<>();
        LineSplitter out = new LineSplitter(queue::add);
        LineSplitter err = new LineSplitter(queue::add);
        StreamHandle h = tasks.logs(taskId, true, 0, new OutputSink() {
            @Override
            public void output(int stream, byte[] data) {
                (stream == 2 ? err : out).feed(data);
            }

            @Override
            public void end(Throwable error) {
                out.flush();
                err.flush();
                queue.add(END);
            }
        });
        return new Output() {
            @Override
            public String next(java.time.Instant deadline) {
                try {
                    long ms = Math.max(0, java.time.Duration.between(java.time.Instant.now(), deadline).toMillis());
                    String line = queue.poll(ms, java.util.concurrent.TimeUnit.MILLISECONDS);
                    return line == null ? TIMED_OUT : line;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return END;
                }
            }

            @Override
            public void close() {
                h.close();
            }
        };
    }

    /** Bytes to sanitised lines of at most 4096 characters (as {@link HostProcess#lines}); UTF-8 decoded per line. */
    static final class LineSplitter {
        private static final int MAX_LINE = 4096;
        private final Consumer<String> lines;
        private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

        LineSplitter(Consumer<String> lines) {
            this.lines = lines;
        }

        void feed(byte[] data) {
            for (byte b : data) {
                if (b == '\n') {
                    emit();
                } else if (pending.size() < 4 * MAX_LINE) {
                    pending.write(b);
                }
            }
        }

        void flush() {
            if (pending.size() > 0) {
                emit();
            }
        }

        private void emit() {
            String line = pending.toString(StandardCharsets.UTF_8);
            pending.reset();
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            lines.accept(io.terok.common.Printable.line(line, MAX_LINE));
        }
    }

    @Override
    public void writeFile(String taskId, String path, String content) {
        Task t = tasks.inspect(taskId);
        // A fixed script; the path is its argument and the content its stdin, so neither is ever parsed by a shell.
        List<String> cmd = List.of("podman", "--url", "unix://" + podmanSocket, "exec", "-i", t.getContainerId(),
                "sh", "-c", "umask 077 && cat > \"$1\"", "terok-write-file", path);
        try {
            HostProcess.Result r = HostProcess.of(cmd).stdin(content).timeout(Duration.ofSeconds(30)).maxOutput(16 * 1024).run();
            if (r.exitCode() != 0) {
                throw ServiceException.precondition("cannot write " + path + " in the task (exit " + r.exitCode() + "): "
                        + io.terok.common.Printable.line(r.stderr(), 300));
            }
        } catch (IOException e) {
            throw ServiceException.unavailable("cannot run podman: " + e.getMessage());
        }
    }

    @Override
    public void stop(String taskId) {
        tasks.stop(taskId, 5);
    }

    @Override
    public void restart(String taskId) {
        tasks.restart(taskId, 5);
    }

    @Override
    public List<String> remove(String taskId) {
        return tasks.remove(taskId, true).getWarningsList();
    }

    @Override
    public String state(String taskId) {
        try {
            return tasks.inspect(taskId).getState().name().replace("TASK_STATE_", "").toLowerCase(Locale.ROOT);
        } catch (ServiceException e) {
            return "missing";
        }
    }
}
