package io.terok.cli.host;

import io.terok.cli.core.Context;
import io.terok.common.HostProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The systemd manager the Quadlet units run under ({@code systemctl --user} or the system's), when there is one. */
final class Systemd {
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final Deployment.Mode mode;
    private final Path systemctl;
    private Boolean reachable;

    Systemd(Deployment.Mode mode, Context ctx) {
        this.mode = mode;
        this.systemctl = HostProcess.which("systemctl", ctx.env.get("PATH"));
    }

    /** Whether the manager answers (no systemd as PID 1, or no user manager for this user: false). */
    boolean reachable() throws IOException {
        if (reachable == null) {
            reachable = systemctl != null && run("show-environment").ok();
        }
        return reachable;
    }

    String why() {
        return systemctl == null ? "systemctl not found"
                : mode == Deployment.Mode.USER ? "no systemd user manager answers `systemctl --user` (not a systemd session, or no linger)"
                : "systemd is not running (PID 1 is not systemd)";
    }

    HostProcess.Result run(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(systemctl.toString());
        if (mode == Deployment.Mode.USER) {
            cmd.add("--user");
        }
        cmd.addAll(List.of(args));
        return HostProcess.of(cmd).timeout(TIMEOUT).run();
    }

    String command(String... args) {
        return "systemctl " + (mode == Deployment.Mode.USER ? "--user " : "") + String.join(" ", args);
    }
}
