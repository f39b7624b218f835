package io.terok.cli.host;

import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.services.Health;
import io.terok.common.HostProcess;
import io.terok.shield.hooks.HooksInstaller;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code terok doctor}'s checks of the Quadlet deployment: units installed and current, images, terok.target active,
 * the hooks the units rely on, podman's API socket, and the session bus clearance uses. When no unit is installed the
 * host runs embedded mode and only that is said.
 */
final class DeploymentChecks {
    private final Context ctx;
    private final Deployment dep;
    private final String flag;

    /** @param mode the deployment to check; null: the system's as root, the user's otherwise */
    DeploymentChecks(Context ctx, Deployment.Mode mode) {
        this.ctx = ctx;
        this.dep = Deployment.of(mode != null ? mode : ctx.paths.root() ? Deployment.Mode.SYSTEM : Deployment.Mode.USER, ctx);
        this.flag = dep.mode.systemctlFlag();
    }

    List<Check> all() throws IOException {
        List<Check> checks = new ArrayList<>();
        Check units = units();
        checks.add(units);
        if (units.detail() != null && units.detail().startsWith("not installed")) {
            return checks;
        }
        checks.add(images());
        Path podman = HostProcess.which("podman", ctx.env.get("PATH"));
        checks.addAll(QuadletPorts.of(ctx, dep).checks(flag, dep.configFile(),
                container -> podman == null ? 0L : QuadletPorts.podmanPid(podman.toString(), container)));
        checks.add(hooks());
        Systemd systemd = new Systemd(dep.mode, ctx);
        checks.add(target(systemd));
        checks.add(podmanSocket(systemd));
        if (dep.mode == Deployment.Mode.USER) {
            checks.add(sessionBus());
        }
        checks.add(new QuadletPassphrase(ctx, dep).check());
        return checks;
    }

    Check units() throws IOException {
        String label = "Quadlet units";
        List<Path> shipped;
        try {
            shipped = Deployment.shippedUnits(ctx.terokHome());
        } catch (CliException e) {
            if (!anyInstalled()) {
                return Check.ok(label, "not installed in " + dep.quadletDir() + " (embedded mode)");
            }
            return Check.warn(label, "installed, but cannot compare them: " + e.getMessage(), e.hint());
        }
        List<String> missing = new ArrayList<>();
        List<String> stale = new ArrayList<>();
        // The units as setup wrote them name the ports it recorded.
        var ports = QuadletPorts.of(ctx, dep).decided();
        int installed = 0;
        for (Path src : shipped) {
            String name = src.getFileName().toString();
            Path to = dep.unitTarget(name);
            if (!Files.exists(to)) {
                missing.add(name);
                continue;
            }
            installed++;
            if (!Files.readString(to, StandardCharsets.UTF_8).equals(dep.unitContent(name, Files.readString(src, StandardCharsets.UTF_8), ports))) {
                stale.add(name);
            }
        }
        if (installed == 0) {
            return Check.ok(label, "not installed in " + dep.quadletDir() + " (embedded mode; `terok setup " + flag
                    + "` installs them)");
        }
        if (missing.isEmpty() && stale.isEmpty()) {
            return Check.ok(label, shipped.size() + " current in " + dep.quadletDir());
        }
        List<String> why = new ArrayList<>();
        if (!missing.isEmpty()) {
            why.add("missing: " + String.join(", ", missing));
        }
        if (!stale.isEmpty()) {
            why.add("differ from this version: " + String.join(", ", stale));
        }
        return Check.error(label, String.join("; ", why), "run `terok setup " + flag + "`");
    }

    private boolean anyInstalled() throws IOException {
        if (!Files.isDirectory(dep.quadletDir())) {
            return false;
        }
        try (java.util.stream.Stream<Path> s = Files.list(dep.quadletDir())) {
            return s.anyMatch(p -> Deployment.isUnitName(p.getFileName().toString()));
        }
    }

    Check images() throws IOException {
        String label = "Quadlet images";
        Path podman = HostProcess.which("podman", ctx.env.get("PATH"));
        if (podman == null) {
            return Check.error(label, "podman not found", "install podman");
        }
        ImageBuilder b = new ImageBuilder(ctx.terokHome(), podman.toString());
        List<String> missing = new ArrayList<>();
        for (DeployedImage s : DeployedImage.values()) {
            if (!b.exists(s)) {
                missing.add(Deployment.image(s));
            }
        }
        return missing.isEmpty() ? Check.ok(label, "localhost/terok-<name>:latest for the five services and the console")
                : Check.error(label, "missing: " + String.join(", ", missing), "run `terok setup " + flag + "`");
    }

    Check hooks() {
        String label = "Quadlet firewall hooks";
        HooksInstaller.Status st = new HooksInstaller(dep.shieldHooksDir(), dep.shieldTaskDir(), dep.hooksRegistration()).status();
        if (st.installed()) {
            return Check.ok(label, "current in " + st.hooksDir());
        }
        return Check.error(label, String.join("; ", st.problems()), "run `terok setup " + flag + "`");
    }

    Check target(Systemd systemd) throws IOException {
        String label = Deployment.TARGET;
        if (!systemd.reachable()) {
            return Check.warn(label, "cannot check: " + systemd.why(), "run the services with `terok services up` "
                    + "(embedded mode), or log in to a systemd session (`loginctl enable-linger` keeps it)");
        }
        HostProcess.Result r = systemd.run("is-active", Deployment.TARGET);
        String state = r.stdout().strip();
        return r.ok() ? Check.ok(label, "active")
                : Check.error(label, state.isEmpty() ? r.firstLine() : state, "run `" + systemd.command("start", Deployment.TARGET) + "`");
    }

    Check podmanSocket(Systemd systemd) throws IOException {
        String label = "podman API socket";
        Path sock = dep.podmanSocket();
        if (Health.listening(sock)) {
            return Check.ok(label, "answering at " + sock);
        }
        if (systemd.reachable() && systemd.run("is-enabled", "podman.socket").ok()) {
            return Check.ok(label, "podman.socket enabled (" + sock + " appears when it starts)");
        }
        return Check.error(label, "podman.socket is not enabled and nothing listens at " + sock
                + "; the runtime service creates task containers through it", "run `" + systemd.command("enable", "--now", "podman.socket") + "`");
    }

    Check sessionBus() {
        String label = "D-Bus session bus";
        String addr = ctx.env.get("DBUS_SESSION_BUS_ADDRESS");
        Path path = null;
        if (addr != null && addr.startsWith("unix:path=")) {
            String p = addr.substring("unix:path=".length());
            path = Path.of(p.contains(",") ? p.substring(0, p.indexOf(',')) : p);
        } else if (addr == null || addr.isBlank()) {
            String rt = ctx.env.get("XDG_RUNTIME_DIR");
            path = rt == null || rt.isBlank() ? null : Path.of(rt, "bus");
        }
        if (path == null && addr != null && !addr.isBlank()) {
            return Check.ok(label, addr + " (not a unix:path address; not checked)");
        }
        if (path != null && Health.listening(path)) {
            return Check.ok(label, "reachable at " + path);
        }
        // The clearance and vault units bind-mount %t/bus: without a bus there they do not start at all.
        return Check.error(label, "no session bus" + (path == null ? "" : " at " + path)
                        + "; the clearance and vault units mount it and cannot start without it",
                "install dbus-user-session and log in again (or `systemctl --user start dbus.socket`)");
    }
}
