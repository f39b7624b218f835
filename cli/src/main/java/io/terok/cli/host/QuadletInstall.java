package io.terok.cli.host;

import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.FileTrees;
import io.terok.common.HostProcess;
import io.terok.common.PrivateFiles;
import io.terok.common.ports.LoopbackListener;
import io.terok.shield.hooks.HooksInstaller;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * The Quadlet deployment's install and removal ({@code terok setup --user|--system}, {@code terok uninstall ...}).
 * Every step writes only what differs from what is there, so a second run reports "unchanged" and touches nothing.
 */
final class QuadletInstall {
    private final Context ctx;
    private final Deployment dep;
    private final Path terokHome;
    private final Systemd systemd;

    QuadletInstall(Context ctx, Deployment dep) {
        this.ctx = ctx;
        this.dep = dep;
        this.terokHome = ctx.terokHome();
        this.systemd = new Systemd(dep.mode, ctx);
    }

    HooksInstaller hooks() {
        return new HooksInstaller(dep.shieldHooksDir(), dep.shieldTaskDir(), dep.hooksRegistration());
    }

    ImageBuilder images() {
        Path podman = HostProcess.which("podman", ctx.env.get("PATH"));
        if (podman == null) {
            throw new CliException("podman not found on PATH", "install it (Debian/Ubuntu: apt-get install podman)");
        }
        return new ImageBuilder(terokHome, podman.toString());
    }

    int setup(String baseImage, boolean buildImages, CommandLine root) throws IOException {
        ctx.out.println("terok setup " + dep.mode.systemctlFlag() + " (Quadlet units from " + terokHome.resolve("deploy/quadlet") + ")");
        // What can fail for want of an input is checked before anything is written: no half-done installation.
        ImageBuilder images = null;
        String base = null;
        String baseId = null;
        if (buildImages) {
            images = images();
            base = baseImage != null ? baseImage : ctx.env.getOrDefault("TEROK_BASE_IMAGE", ImageBuilder.DEFAULT_BASE);
            baseId = images.baseId(base);
            for (DeployedImage s : DeployedImage.values()) {
                images.requireBuilt(s);
            }
        }
        // The vault passphrase before the units: the system vault unit loads the credential only when it exists.
        dir(dep.configDir());
        QuadletPassphrase.Outcome passphrase = new QuadletPassphrase(ctx, dep).provision();
        item("vault passphrase", passphrase.state() + " (" + passphrase.detail() + ")");
        passphrase.notes().forEach(n -> ctx.out.println("    note: " + n));

        // The listeners' ports before the units that name them (recorded, so a second setup writes the same units).
        QuadletPorts quadletPorts = QuadletPorts.of(ctx, dep);
        boolean known = quadletPorts.allDecided();
        Map<LoopbackListener, Integer> ports = quadletPorts.decide();
        item("ports", (known ? "unchanged" : "recorded") + " (" + QuadletPorts.describe(ports) + "; " + quadletPorts.registry().record() + ")");
        boolean unitsChanged = installUnits(ports);
        // Directories the units bind-mount (podman refuses a missing bind source); systemd would create some itself.
        dir(dep.shieldTaskDir());

        HooksInstaller hooks = hooks();
        HooksInstaller.Status before = hooks.status();
        if (before.installed()) {
            item("firewall hooks", "unchanged (" + hooks.hooksDir() + ")");
        } else {
            HooksInstaller.Status st = hooks.install();
            if (!st.installed()) {
                st.problems().forEach(p -> ctx.err.println("  problem: " + p));
                throw new CliException("the firewall hooks did not install cleanly", "fix the problems above and run `terok setup "
                        + dep.mode.systemctlFlag() + "` again");
            }
            item("firewall hooks", (before.stale() ? "updated" : "installed") + " (" + hooks.hooksDir() + ", registered in "
                    + hooks.registration() + ")");
            ctx.out.println("    note: podman reads hooks_dir when it starts; restart a running podman service: "
                    + systemd.command("restart", "podman.service"));
        }

        if (buildImages) {
            for (DeployedImage s : DeployedImage.values()) {
                ImageBuilder.Outcome o = images.ensure(s, base, baseId);
                item("image " + Deployment.image(s), o == ImageBuilder.Outcome.UNCHANGED ? "unchanged" : "built (from " + base + ")");
            }
        } else {
            item("images", "skipped (--no-images)");
        }

        String completion = AutoComplete.bash("terok", root);
        item("bash completion", write(dep.completionFile(), completion, "rw-r--r--") + " (" + dep.completionFile() + ")");

        if (systemd.reachable()) {
            if (unitsChanged) {
                HostProcess.Result r = systemd.run("daemon-reload");
                item("systemd", r.ok() ? "reloaded (" + systemd.command("daemon-reload") + ")" : "daemon-reload FAILED: " + r.firstLine());
            } else {
                item("systemd", "unchanged");
            }
        } else {
            item("systemd", "not reachable here (" + systemd.why() + "); the units take effect when the manager starts");
        }
        ctx.out.println("next: " + systemd.command("start", Deployment.TARGET)
                + (dep.mode == Deployment.Mode.USER ? "   (and `loginctl enable-linger` to keep the services running after logout)" : ""));
        return 0;
    }

    int uninstall(boolean purge) throws IOException {
        ctx.out.println("terok uninstall " + dep.mode.systemctlFlag() + (purge ? " --purge" : ""));
        if (systemd.reachable()) {
            HostProcess.Result r = systemd.run("stop", Deployment.TARGET);
            item("services", r.ok() ? "stopped (" + systemd.command("stop", Deployment.TARGET) + ")" : "stop failed: " + r.firstLine());
        }
        boolean removedUnits = removeUnits();
        if (!removedUnits) {
            item("units", "none installed");
        }
        // The units named these ports; with them gone, another user may have them.
        List<String> released = QuadletPorts.of(ctx, dep).release();
        item("ports", released.isEmpty() ? "none recorded" : "released (" + String.join(", ", released) + ")");
        boolean hooksRemoved = hooks().uninstall();
        item("firewall hooks", hooksRemoved ? "removed (" + dep.shieldHooksDir() + ")" : "none installed");
        ImageBuilder images = images();
        Path podman = HostProcess.which("podman", ctx.env.get("PATH"));
        // The containers go first, and are waited for: an image removed under a container still stopping drops the
        // container's record while its process runs on (see ContainerRemoval).
        List<String> imageNames = java.util.Arrays.stream(DeployedImage.values()).map(Deployment::image).toList();
        List<String> containerNames = java.util.Arrays.stream(DeployedImage.values()).map(s -> "terok-" + s.id()).toList();
        ContainerRemoval.Result containers = new ContainerRemoval(podman.toString()).removeAll(imageNames, containerNames,
                ContainerRemoval.STOP_TIME.plusSeconds(20));
        if (!containers.left().isEmpty()) {
            item("containers", "STILL running after " + ContainerRemoval.STOP_TIME.plusSeconds(20).toSeconds() + " s: "
                    + String.join(", ", containers.left().stream().map(ContainerRemoval.Left::describe).toList())
                    + "; the images are kept for them. Another podman is stopping them (systemd's ExecStop or a `podman rm`):"
                    + " run `terok uninstall " + dep.mode.systemctlFlag() + (purge ? " --purge" : "") + "` again once they are gone");
            return 1;
        }
        item("containers", containers.removed() == 0 ? "none" : "removed (" + containers.removed() + "), none left running");
        for (DeployedImage s : DeployedImage.values()) {
            item("image " + Deployment.image(s), images.remove(s) ? "removed" : "none");
        }
        item("bash completion", Files.deleteIfExists(dep.completionFile()) ? "removed" : "none");
        if (purge) {
            for (String v : Deployment.DATA_VOLUMES) {
                HostProcess.Result r = HostProcess.of(podman.toString(), "volume", "rm", "--force", v).timeout(ImageBuilder.QUICK).run();
                item("volume " + v, r.ok() && !r.stdout().isBlank() ? "removed" : "none");
            }
            // The passphrase goes with the database it unlocks (kept without --purge: the kept database needs it).
            item("vault passphrase", new QuadletPassphrase(ctx, dep).purge());
            boolean had = Files.exists(dep.shieldTaskDir());
            FileTrees.delete(dep.shieldTaskDir());
            item("firewall state", had ? "removed (" + dep.shieldTaskDir() + ")" : "none");
        } else {
            HostProcess.Result r = HostProcess.of(podman.toString(), "volume", "ls", "--quiet",
                    "--filter", "name=terok-").timeout(ImageBuilder.QUICK).run();
            String kept = r.ok() ? String.join(", ", r.stdout().strip().lines().filter(l -> !l.isBlank()).toList()) : "";
            item("data", "kept" + (kept.isEmpty() ? "" : " (volumes " + kept + ")") + "; `terok uninstall "
                    + dep.mode.systemctlFlag() + " --purge` removes the credential database and the gate mirrors too");
            if (dep.mode == Deployment.Mode.SYSTEM && Files.exists(dep.vaultCredential())) {
                item("vault passphrase", "kept (" + dep.vaultCredential() + ": the kept database needs it; --purge removes both)");
            }
        }
        if (systemd.reachable() && removedUnits) {
            systemd.run("daemon-reload");
        }
        return 0;
    }

    /**
     * Every shipped unit (the five services', the web console's, the target) as this mode installs it; true when one
     * was written.
     */
    boolean installUnits(Map<LoopbackListener, Integer> ports) throws IOException {
        boolean changed = false;
        for (Path src : Deployment.shippedUnits(terokHome)) {
            String name = src.getFileName().toString();
            Path to = dep.unitTarget(name);
            String state = write(to, dep.unitContent(name, Files.readString(src, StandardCharsets.UTF_8), ports), "rw-r--r--");
            changed |= !state.equals("unchanged");
            item("unit " + name, state + " (" + to + ")");
        }
        return changed;
    }

    /** Removes every terok unit from the Quadlet and systemd directories (also ones an older version shipped). */
    boolean removeUnits() throws IOException {
        boolean removed = false;
        for (Path dir : List.of(dep.quadletDir(), dep.systemdDir())) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            List<Path> ours;
            try (Stream<Path> s = Files.list(dir)) {
                ours = s.filter(p -> Deployment.isUnitName(p.getFileName().toString())).sorted().toList();
            }
            for (Path p : ours) {
                Files.delete(p);
                removed = true;
                item("unit " + p.getFileName(), "removed (" + p + ")");
            }
        }
        return removed;
    }

    private void item(String what, String state) {
        ctx.out.println("  " + what + ": " + state);
    }

    private static void dir(Path d) {
        if (!Files.isDirectory(d)) {
            PrivateFiles.directory(d);
        }
    }

    /** Writes {@code content} to {@code to} unless it already holds exactly that; returns installed/updated/unchanged. */
    static String write(Path to, String content, String perms) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        boolean existed = Files.exists(to);
        if (existed && java.util.Arrays.equals(Files.readAllBytes(to), bytes)
                && PosixFilePermissions.toString(Files.getPosixFilePermissions(to)).equals(perms)) {
            return "unchanged";
        }
        Files.createDirectories(to.getParent());
        Path tmp = to.resolveSibling("." + to.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(perms));
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return existed ? "updated" : "installed";
    }
}
