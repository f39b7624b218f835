package io.terok.shield.netns;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code nsenter -t PID -n CMD} as root. Rootless: {@code nsenter -t PID -U -n CMD}: the operator owns the user
 * namespace podman created, so entering it gives CAP_NET_ADMIN over the container's netns (the same as
 * {@code podman unshare nsenter -t PID -n}, without podman's start-up cost).
 */
public final class NsenterRunner implements NetnsRunner {
    private final boolean rootless;
    private final List<String> wrapper;

    public NsenterRunner(boolean rootless) {
        this(rootless, List.of());
    }

    /** {@code wrapper}: an argv prefix, e.g. the tests' {@code bin/test-user} to act as the rootless operator. */
    public NsenterRunner(boolean rootless, List<String> wrapper) {
        this.rootless = rootless;
        this.wrapper = List.copyOf(wrapper);
    }

    @Override
    public List<String> enter(int pid) {
        if (pid <= 1) {
            throw new NetnsException("refusing to enter the namespaces of pid " + pid);
        }
        List<String> argv = new ArrayList<>(wrapper);
        argv.addAll(List.of("nsenter", "-t", Integer.toString(pid)));
        if (rootless) {
            argv.add("-U");
        }
        argv.add("-n");
        argv.add("--");
        return argv;
    }

    @Override
    public Result run(int pid, List<String> command, String input, Duration timeout) {
        List<String> argv = new ArrayList<>(enter(pid));
        argv.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new NetnsException("cannot run " + argv.get(0) + ": " + e.getMessage());
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (input != null) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the process exited early; its exit code and stderr tell why
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new NetnsException(String.join(" ", command) + " in the netns of pid " + pid + " timed out");
            }
            return new Result(p.exitValue(), out.get(2, TimeUnit.SECONDS), err.get(2, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new NetnsException("interrupted");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new NetnsException("cannot read the output of " + command.get(0) + ": " + e.getMessage());
        }
    }

    private static CompletableFuture<String> drain(InputStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (s) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                s.transferTo(b);
                return b.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }
}
