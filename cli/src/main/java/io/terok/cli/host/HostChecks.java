package io.terok.cli.host;

import io.terok.cli.core.Context;
import io.terok.common.HostProcess;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The host prerequisites `terok doctor` checks: podman, its configuration, catatonit, rootless setup. */
final class HostChecks {
    static final Duration PODMAN_TIMEOUT = Duration.ofSeconds(10);
    static final List<String> HELPER_DIRS = List.of("/usr/libexec/podman", "/usr/lib/podman",
            "/usr/local/libexec/podman", "/usr/local/lib/podman");
    /** What rootful podman asks for when containers.conf sets no default_ulimits. */
    static final long PODMAN_ROOT_NOFILE = 1_048_576;
    private static final Pattern ULIMITS_SET = Pattern.compile("(?m)^\\s*default_ulimits\\s*=\\s*\\[\\s*\"");

    private final Context ctx;
    private final boolean root;

    HostChecks(Context ctx) {
        this.ctx = ctx;
        this.root = ctx.paths.root();
    }

    /** podman answers; its OCI runtime suits the cgroup version; its ulimits fit the host's hard limits. */
    List<Check> podman() throws IOException {
        List<Check> checks = new ArrayList<>();
        Path podman = HostProcess.which("podman", ctx.env.get("PATH"));
        if (podman == null) {
            checks.add(Check.error("podman", "podman not found on PATH", "install it (Debian/Ubuntu: apt-get install podman)"));
            return checks;
        }
        HostProcess.Result version = HostProcess.of(podman.toString(), "version", "--format", "{{.Client.Version}}")
                .timeout(PODMAN_TIMEOUT).run();
        if (!version.ok()) {
            checks.add(Check.error("podman", version.timedOut() ? "`podman version` did not answer within 10 s"
                    : "`podman version` failed: " + version.firstLine(), "run `podman version` and fix what it reports"));
            return checks;
        }
        checks.add(Check.ok("podman", "podman " + version.stdout().strip() + ", " + podman));
        HostProcess.Result info = HostProcess.of(podman.toString(), "info", "--format",
                "{{.Host.OCIRuntime.Name}} {{.Host.CgroupsVersion}}").timeout(PODMAN_TIMEOUT).run();
        if (!info.ok()) {
            checks.add(Check.error("podman info", info.timedOut() ? "`podman info` did not answer within 10 s"
                    : "`podman info` failed: " + info.firstLine(), "run `podman info` and fix what it reports"));
            return checks;
        }
        String[] runtime = info.stdout().strip().split("\\s+");
        String name = runtime[0];
        String cgroups = runtime.length > 1 ? runtime[1] : "?";
        if (name.equals("crun") && cgroups.equals("v1")) {
            checks.add(Check.warn("OCI runtime", "crun refuses cgroups v1 (hybrid) hosts",
                    "set runtime = \"runc\" under [engine] in " + userConf() + " and install runc"));
        } else {
            checks.add(Check.ok("OCI runtime", name + " on cgroups " + cgroups));
        }
        checks.add(ulimits());
        return checks;
    }

    /**
     * Rootful podman asks for 1048576 open files unless containers.conf sets default_ulimits; on hosts whose hard
     * limit is lower every container fails with {@code setrlimit RLIMIT_NOFILE: Operation not permitted}.
     * Rootless podman uses the caller's own limits.
     */
    Check ulimits() throws IOException {
        String label = "podman default ulimits";
        Path configured = firstConfSetting(ULIMITS_SET);
        if (configured != null) {
            return Check.ok(label, "default_ulimits set in " + configured);
        }
        if (!root) {
            return Check.ok(label, "rootless podman uses this user's limits");
        }
        long hard = hardLimit("Max open files");
        if (hard >= 0 && hard < PODMAN_ROOT_NOFILE) {
            return Check.warn(label, "hard open-files limit " + hard + " is below the " + PODMAN_ROOT_NOFILE
                            + " podman asks for; containers would fail in setrlimit",
                    "set default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"] under [containers] in " + userConf());
        }
        return Check.ok(label, "hard open-files limit " + (hard < 0 ? "unlimited" : hard));
    }

    Check catatonit() {
        for (String dir : HELPER_DIRS) {
            Path p = Path.of(dir, "catatonit");
            if (Files.isExecutable(p)) {
                return Check.ok("catatonit", p.toString());
            }
        }
        return Check.error("catatonit", "not found in " + String.join(", ", HELPER_DIRS),
                "install it (Debian/Ubuntu: apt-get install catatonit); tasks run it as their init");
    }

    List<Check> rootless() throws IOException {
        if (root) {
            String why = "not needed: running as root";
            return List.of(Check.ok("subordinate uids/gids", why), Check.ok("/dev/net/tun", why));
        }
        String user = System.getProperty("user.name");
        String uid = String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        List<Check> checks = new ArrayList<>();
        String subuid = subordinate(Path.of("/etc/subuid"), user, uid);
        String subgid = subordinate(Path.of("/etc/subgid"), user, uid);
        if (subuid != null && subgid != null) {
            checks.add(Check.ok("subordinate uids/gids", "uids " + subuid + ", gids " + subgid));
        } else {
            checks.add(Check.error("subordinate uids/gids", "no " + (subuid == null ? "/etc/subuid" : "/etc/subgid")
                    + " entry for " + user, "as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " + user));
        }
        Path tun = Path.of("/dev/net/tun");
        if (!Files.exists(tun)) {
            checks.add(Check.error("/dev/net/tun", "missing; rootless networking needs it", "as root: modprobe tun"));
        } else if (!Files.isReadable(tun) || !Files.isWritable(tun)) {
            checks.add(Check.error("/dev/net/tun", "not readable and writable by " + user, "as root: chmod 666 /dev/net/tun"));
        } else {
            checks.add(Check.ok("/dev/net/tun", "usable"));
        }
        return checks;
    }

    Check runtimeDir() throws IOException {
        String label = "runtime directory";
        Path dir = ctx.paths.runtimeDir();
        if (!Files.exists(dir)) {
            return Check.warn(label, dir + " does not exist", "`terok services up` creates it");
        }
        if (!Files.isDirectory(dir)) {
            return Check.error(label, dir + " is not a directory", "remove it and run `terok services up`");
        }
        String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(dir));
        if (!perms.equals("rwx------")) {
            return Check.error(label, dir + " is " + perms + "; other users could reach the service sockets",
                    "chmod 700 " + dir);
        }
        return Check.ok(label, dir + " (0700)");
    }

    /** {@code start+count} of the user's entry in /etc/subuid or /etc/subgid, or null. */
    static String subordinate(Path file, String user, String uid) throws IOException {
        if (!Files.isReadable(file)) {
            return null;
        }
        for (String line : Files.readAllLines(file)) {
            String[] f = line.strip().split(":");
            if (f.length == 3 && (f[0].equals(user) || f[0].equals(uid))) {
                return f[1] + "+" + f[2];
            }
        }
        return null;
    }

    /** The hard limit from /proc/self/limits ("unlimited" is -1). */
    static long hardLimit(String name) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith(name)) {
                String[] f = line.substring(name.length()).strip().split("\\s+");
                return f[1].equals("unlimited") ? -1 : Long.parseLong(f[1]);
            }
        }
        return -1;
    }

    /** The containers.conf podman reads for this user (the one to edit). */
    Path userConf() {
        if (root) {
            return Path.of("/etc/containers/containers.conf");
        }
        String xdg = ctx.env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("containers/containers.conf");
    }

    /** The first containers.conf (in podman's order, later files override) that matches, or null. */
    private Path firstConfSetting(Pattern setting) throws IOException {
        List<Path> files = new ArrayList<>();
        String override = ctx.env.get("CONTAINERS_CONF");
        if (override != null && !override.isBlank()) {
            files.add(Path.of(override));
        }
        files.add(Path.of("/usr/share/containers/containers.conf"));
        files.add(Path.of("/etc/containers/containers.conf"));
        addDropIns(files, Path.of("/etc/containers/containers.conf.d"));
        if (!root) {
            files.add(userConf());
            addDropIns(files, userConf().resolveSibling("containers.conf.d"));
        }
        for (Path f : files) {
            if (Files.isReadable(f) && setting.matcher(Files.readString(f)).find()) {
                return f;
            }
        }
        return null;
    }

    private static void addDropIns(List<Path> files, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.conf")) {
            ds.forEach(files::add);
        }
    }
}
