package io.terok.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.concurrent.TimeUnit;

/** Runs a host command to completion (stderr folded into the output); for fixtures, not for the product. */
public final class Cmd {
    private Cmd() {
    }

    public record Result(int code, String out) {
    }

    public static Result run(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", argv));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv[0] + " (run bin/prepare-host)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", argv), e);
        }
    }

    /** Exit code, stdout and stderr of one run, kept apart. */
    public record Output(int code, String out, String err) {
    }

    /**
     * Runs {@code cmd} in {@code dir} (null: the current directory) with the environment {@code env} has edited, and
     * {@code stdin} (null: /dev/null); fails when it cannot start or runs longer than {@code timeoutSeconds}.
     */
    public static Output exec(List<String> cmd, Path dir, Consumer<Map<String, String>> env, String stdin, int timeoutSeconds) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            if (stdin == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            env.accept(pb.environment());
            Process p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Output(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd.get(0) + " (bin/prepare-host installs it): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Runs the command and fails with its output unless it exits 0. */
    public static String ok(String... argv) {
        Result r = run(argv);
        if (r.code() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + r.code() + ": " + r.out().strip());
        }
        return r.out();
    }

    /** Fails (never skips) when one of the tools is not installed. */
    public static void require(List<String> tools) {
        for (String tool : tools) {
            if (run("sh", "-c", "command -v " + tool).code() != 0) {
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
