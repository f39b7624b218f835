package io.terok.shield.netns;

import io.terok.common.HostProcess;
import io.terok.common.ServiceException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
            throw ServiceException.precondition("refusing to enter the namespaces of pid " + pid);
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
    public HostProcess.Result run(int pid, List<String> command, String input, Duration timeout) {
        List<String> argv = new ArrayList<>(enter(pid));
        argv.addAll(command);
        HostProcess p = HostProcess.of(argv).env("PATH", PATH).timeout(timeout);
        if (input != null) {
            p.stdin(input);
        }
        HostProcess.Result r;
        try {
            r = p.run();
        } catch (IOException e) {
            throw ServiceException.precondition("cannot run " + argv.get(0) + ": " + e.getMessage());
        }
        if (r.timedOut()) {
            throw ServiceException.precondition(String.join(" ", command) + " in the netns of pid " + pid + " timed out");
        }
        return r;
    }
}
