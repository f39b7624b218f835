package io.terok.testsupport;

import io.terok.common.HostProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * How tests, end-to-end tests and benchmarks run a host command to completion: common's {@link HostProcess}
 * (argument list, deadline, stdin from the caller or /dev/null, output read concurrently), failing loudly when the
 * program cannot be started or does not finish in time. Also starts and stops the long-running helpers fixtures
 * need, by handle and never by name.
 */
public final class Cmd {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private Cmd() {
    }

    /** Exit code and output of one run: stdout, then stderr. */
    public record Result(int code, String out) {
    }

    /** Runs {@code argv} for up to 60 s with stdin from /dev/null. */
    public static Result run(String... argv) {
        HostProcess.Result r = finish(HostProcess.of(List.of(argv)).timeout(DEFAULT_TIMEOUT));
        return new Result(r.exitCode(), r.stdout() + r.stderr());
    }

    /** Exit code, stdout and stderr of one run, kept apart. */
    public record Output(int code, String out, String err) {
    }

    /**
     * Runs {@code cmd} in {@code dir} (null: the current directory) with the environment {@code env} has edited, and
     * {@code stdin} (null: /dev/null); fails when it cannot start or runs longer than {@code timeoutSeconds}.
     */
    public static Output exec(List<String> cmd, Path dir, Consumer<Map<String, String>> env, String stdin, int timeoutSeconds) {
        Map<String, String> environment = new HashMap<>(System.getenv());
        env.accept(environment);
        HostProcess p = HostProcess.of(cmd).clearEnv().env(environment).timeout(Duration.ofSeconds(timeoutSeconds));
        if (dir != null) {
            p.directory(dir);
        }
        if (stdin != null) {
            p.stdin(stdin);
        }
        return exec(p);
    }

    /** Runs {@code p} (set up as the caller needs); fails when it cannot start or does not finish in its time. */
    public static Output exec(HostProcess p) {
        try {
            HostProcess.Result r = finish(p);
            return new Output(r.exitCode(), r.stdout(), r.stderr());
        } catch (UncheckedIOException | IllegalStateException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /** Runs the command and fails with its output unless it exits 0; answers stdout, then stderr. */
    public static String ok(String... argv) {
        Result r = run(argv);
        if (r.code() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + r.code() + ": " + r.out().strip());
        }
        return r.out();
    }

    /** Runs {@code p} and fails with what it said unless it exits 0; answers its stdout. */
    public static String ok(HostProcess p) {
        HostProcess.Result r = finish(p);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", p.command()) + " exited " + r.exitCode() + ": "
                    + (r.stdout() + r.stderr()).strip());
        }
        return r.stdout();
    }

    private static HostProcess.Result finish(HostProcess p) {
        HostProcess.Result r;
        try {
            r = p.run();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + p.command().get(0) + " (bin/prepare-host installs it): "
                    + e.getMessage(), e);
        }
        if (r.timedOut()) {
            throw new IllegalStateException(String.join(" ", p.command()) + " did not finish in time");
        }
        return r;
    }

    /** Fails (never skips) when one of the tools (a name on PATH, or a path) is not installed. */
    public static void require(List<String> tools) {
        for (String tool : tools) {
            if (HostProcess.which(tool) == null) {
                throw new AssertionError("missing " + tool + " (run bin/prepare-host)");
            }
        }
    }

    /** Starts a long-running helper with its output discarded. */
    public static Process spawn(String... argv) {
        try {
            return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + argv[0] + " (run bin/prepare-host)", e);
        }
    }

    /** Polls {@code ready} every 50 ms for up to 5 s; fails naming {@code what} when it never holds. */
    public static void await(java.util.function.BooleanSupplier ready, String what) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (ready.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(what + " did not come up within 5 s");
    }

    /** Ends a process this fixture started (and what it started), by handle, never by name. */
    public static void stop(Process p) {
        if (p == null) {
            return;
        }
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
