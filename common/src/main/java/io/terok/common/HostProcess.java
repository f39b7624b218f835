package io.terok.common;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one way terok runs a host program to completion (nft, podman, git, keyctl, systemd-creds, ssh-keygen, ...):
 * an argument list and never a shell, a deadline after which the program is killed, stdin from the caller's bytes
 * or /dev/null (never the service's own stdin), and output read concurrently with a cap so a chatty or hostile
 * program can neither block on a full pipe nor fill the heap. Secrets go through stdin and stdout, never argv.
 *
 * <pre>{@code
 * HostProcess.Result r = HostProcess.of("nft", "-f", "-").stdin(ruleset).timeout(Duration.ofSeconds(5)).run();
 * }</pre>
 */
public final class HostProcess {
    /** Output kept per stream unless the caller says otherwise: plenty for any tool's answer or error. */
    public static final int DEFAULT_MAX_OUTPUT = 4 * 1024 * 1024;

    private final List<String> command;
    private Duration timeout = Duration.ofSeconds(30);
    private byte[] stdin;
    private int maxOutput = DEFAULT_MAX_OUTPUT;
    private final Map<String, String> env = new LinkedHashMap<>();
    private boolean clearEnv;
    private Path directory;
    private Consumer<String> lines;

    private HostProcess(List<String> command) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no program given");
        }
        this.command = List.copyOf(command);
    }

    public static HostProcess of(String program, String... args) {
        List<String> cmd = new ArrayList<>(args.length + 1);
        cmd.add(program);
        cmd.addAll(List.of(args));
        return new HostProcess(cmd);
    }

    public static HostProcess of(List<String> command) {
        return new HostProcess(command);
    }

    public HostProcess timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    public HostProcess stdin(byte[] input) {
        this.stdin = input;
        return this;
    }

    public HostProcess stdin(String input) {
        return stdin(input.getBytes(StandardCharsets.UTF_8));
    }

    /** Bytes kept of stdout and of stderr each; the rest is read and dropped ({@link Result#truncated()}). */
    public HostProcess maxOutput(int bytes) {
        this.maxOutput = bytes;
        return this;
    }

    public HostProcess env(String name, String value) {
        env.put(name, value);
        return this;
    }

    public HostProcess env(Map<String, String> vars) {
        env.putAll(vars);
        return this;
    }

    /** Start from an empty environment instead of the service's own (then only {@link #env} is passed). */
    public HostProcess clearEnv() {
        this.clearEnv = true;
        return this;
    }

    public HostProcess directory(Path dir) {
        this.directory = dir;
        return this;
    }

    /**
     * For long programs whose progress a person watches (an image build): stderr is merged into stdout and each line
     * reaches {@code sink} as it is written, sanitised ({@link Printable#line}, at most 4096 characters). The
     * {@link Result}'s stdout then holds the <em>last</em> {@link #maxOutput} bytes, since the end of a stream is what
     * explains a failure.
     */
    public HostProcess lines(Consumer<String> sink) {
        this.lines = sink;
        return this;
    }

    public List<String> command() {
        return command;
    }

    /**
     * Runs it to the end or the deadline. Throws {@link IOException} only when the program cannot be started
     * (missing, not executable); a non-zero exit or a timeout is in the {@link Result}.
     */
    public Result run() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (clearEnv) {
            pb.environment().clear();
        }
        pb.environment().putAll(env);
        if (directory != null) {
            pb.directory(directory.toFile());
        }
        if (lines != null) {
            pb.redirectErrorStream(true);
        }
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process p = pb.start();
        CompletableFuture<Captured> out = lines != null ? drainLines(p.getInputStream(), maxOutput, lines)
                : drain(p.getInputStream(), maxOutput);
        CompletableFuture<Captured> err = lines != null ? CompletableFuture.completedFuture(Captured.EMPTY)
                : drain(p.getErrorStream(), maxOutput);
        try {
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin);
                } catch (IOException e) {
                    // The program exited without reading all of its input: its exit code and stderr say why.
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(2, TimeUnit.SECONDS);
                return new Result(command, -1, out.getNow(Captured.EMPTY).bytes, err.getNow(Captured.EMPTY).text(), true,
                        false);
            }
            Captured o = out.join();
            Captured e = err.join();
            return new Result(command, p.exitValue(), o.bytes, e.text(), false, o.truncated || e.truncated);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
    }

    /** What a finished (or killed) program left. */
    public record Result(List<String> command, int exitCode, byte[] stdoutBytes, String stderr, boolean timedOut,
                         boolean truncated) {
        public boolean ok() {
            return !timedOut && exitCode == 0;
        }

        public String stdout() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }

        /** The first non-blank line of stderr (else stdout), printable, for one-line reports and errors. */
        public String firstLine() {
            if (timedOut) {
                return command.get(0) + " did not finish in time";
            }
            for (String text : List.of(stderr, stdout())) {
                for (String line : text.split("\n")) {
                    if (!line.isBlank()) {
                        return Printable.line(line.strip());
                    }
                }
            }
            return "exit code " + exitCode;
        }

        /** "nft failed: <first line>" when it did not succeed, for error messages. */
        public String describeFailure() {
            return command.get(0) + (timedOut ? " did not finish in time" : " failed (exit " + exitCode + "): " + firstLine());
        }
    }

    private record Captured(byte[] bytes, boolean truncated) {
        static final Captured EMPTY = new Captured(new byte[0], false);

        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static CompletableFuture<Captured> drain(InputStream in, int max) {
        CompletableFuture<Captured> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            ByteArrayOutputStream kept = new ByteArrayOutputStream();
            boolean truncated = false;
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    int room = max - kept.size();
                    if (room > 0) {
                        kept.write(buf, 0, Math.min(room, n));
                    }
                    truncated |= n > room;
                }
            } catch (IOException e) {
                // The process was killed: keep what was read.
            }
            f.complete(new Captured(kept.toByteArray(), truncated));
        }, "terok-host-process");
        t.setDaemon(true);
        t.start();
        return f;
    }

    private static final int MAX_LINE = 4096;

    private static CompletableFuture<Captured> drainLines(InputStream in, int max, Consumer<String> sink) {
        CompletableFuture<Captured> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            byte[] ring = new byte[Math.max(1, max)];
            long total = 0;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    for (byte b : (line + "\n").getBytes(StandardCharsets.UTF_8)) {
                        ring[(int) (total++ % ring.length)] = b;
                    }
                    sink.accept(Printable.line(line, MAX_LINE));
                }
            } catch (IOException e) {
                // The process was killed: keep what was read.
            }
            f.complete(lastBytes(ring, total));
        }, "terok-host-process-lines");
        t.setDaemon(true);
        t.start();
        return f;
    }

    private static Captured lastBytes(byte[] ring, long total) {
        if (total <= ring.length) {
            return new Captured(java.util.Arrays.copyOf(ring, (int) total), false);
        }
        int start = (int) (total % ring.length);
        byte[] out = new byte[ring.length];
        System.arraycopy(ring, start, out, 0, ring.length - start);
        System.arraycopy(ring, 0, out, ring.length - start, start);
        return new Captured(out, true);
    }

    /**
     * The first executable {@code name} on {@code path} (a PATH value), or null; a {@code name} with a slash is taken
     * as the program's own path and answered when it is executable.
     */
    public static Path which(String name, String path) {
        if (name.contains("/")) {
            Path given = Path.of(name);
            return Files.isRegularFile(given) && Files.isExecutable(given) ? given : null;
        }
        for (String dir : (path == null ? "/usr/local/bin:/usr/bin:/bin" : path).split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    public static Path which(String name) {
        return which(name, System.getenv("PATH"));
    }
}
