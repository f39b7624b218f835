package io.terok.agents.build;

import io.terok.common.Printable;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a long host program (podman build) like {@link io.terok.common.HostProcess} does, with its rules: an argument
 * list and never a shell, stdin from the caller's bytes, a deadline after which the program is killed, bounded
 * memory. The one difference is why it exists: output lines reach the caller while the program runs, so a build of
 * several minutes shows its steps as they happen. Only the last lines are kept, for the error message.
 */
final class StreamedProcess {
    private static final int KEEP_LINES = 40;
    private static final int MAX_LINE = 4096;

    private StreamedProcess() {
    }

    record Result(int exitCode, boolean timedOut, List<String> tail) {
        boolean ok() {
            return !timedOut && exitCode == 0;
        }

        String describe() {
            return timedOut ? "did not finish in time" : "exit " + exitCode + ": "
                    + String.join(" | ", tail.subList(Math.max(0, tail.size() - 5), tail.size()));
        }
    }

    /** Runs {@code command} with {@code stdin}; each line of stdout and stderr (merged) goes to {@code lines}. */
    static Result run(List<String> command, byte[] stdin, Duration timeout, Consumer<String> lines) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process p = pb.start();
        Deque<String> tail = new ArrayDeque<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    String safe = Printable.line(line, MAX_LINE);
                    synchronized (tail) {
                        tail.addLast(safe);
                        if (tail.size() > KEEP_LINES) {
                            tail.removeFirst();
                        }
                    }
                    lines.accept(safe);
                }
            } catch (IOException e) {
                // The process was killed: what was read is in the tail.
            }
        }, "terok-build-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (stdin != null) {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(stdin);
                } catch (IOException e) {
                    // It exited without reading its input: the exit code and output say why.
                }
            }
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            reader.join(5000);
            synchronized (tail) {
                return new Result(done ? p.exitValue() : -1, !done, List.copyOf(tail));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
    }
}
