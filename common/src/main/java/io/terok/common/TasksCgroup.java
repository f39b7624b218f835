package io.terok.common;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The parent cgroup every task container is placed under: {@code /terok-tasks}, made by the runtime service with a CPU
 * weight below the default, so that under contention all tasks together yield the CPU to terok's services, podman and
 * the host (which run as host processes, each thread weighing as much as podman's default for a whole cgroup). A
 * weight only acts while the CPU is contended: a task alone keeps every core.
 *
 * <p>Applied only where the runtime can make the cgroup itself: rootful podman with the cgroupfs manager and the cpu
 * controller. Anywhere else (rootless, podman's systemd manager, no cpu controller, a write refused) tasks launch
 * exactly as without it, under podman's own parent, and {@link Placement#line()} says why; it never fails a launch.
 * The status is written to {@link #STATUS_FILE} in the runtime directory for {@code terok doctor}. Off unless
 * {@code terok.runtime.tasks-cpu-shares} is set (docs/benchmarks.md, "Ninth session": 128 measured, not a win on a
 * loaded machine).
 */
public final class TasksCgroup {
    /** The cgroup's name under the hierarchy's root, and podman's {@code cgroup_parent} ({@code /terok-tasks}). */
    public static final String NAME = "terok-tasks";
    /** The kernel's bounds of cpu.shares. */
    static final long MIN_SHARES = 2;
    static final long MAX_SHARES = 262_144;
    /** The file in the runtime directory where the runtime records the last placement, for doctor. */
    public static final String STATUS_FILE = "tasks-cgroup";
    /** How a {@link Placement#line()} starts. */
    public static final String APPLIED = "applied: ";
    public static final String NOT_APPLIED = "not applied: ";
    public static final String FAILED = "failed, tasks launch without it: ";

    /** What podman reports about its cgroups ({@code podman info}: host.cgroupManager, cgroupVersion, cgroupControllers). */
    public record Host(boolean rootless, String cgroupManager, String cgroupVersion, boolean cpuController) {
    }

    /**
     * Where task containers go: {@code parent} is podman's {@code cgroup_parent} when applied, empty when tasks launch
     * under podman's default parent; {@code line} says what was applied or why not, in one line, starting with
     * {@link #APPLIED}, {@link #NOT_APPLIED} (this host does not allow it, or it is off) or {@link #FAILED} (it should
     * have been applied: a setting or the cgroup filesystem is wrong).
     */
    public record Placement(Optional<String> parent, String line) {
        static Placement applied(String detail) {
            return new Placement(Optional.of("/" + NAME), APPLIED + detail);
        }

        static Placement notApplied(String why) {
            return new Placement(Optional.empty(), NOT_APPLIED + why);
        }

        static Placement failed(String why) {
            return new Placement(Optional.empty(), FAILED + why);
        }
    }


    private final Path cgroupRoot;

    /** @param cgroupRoot where the cgroup hierarchies are mounted, {@code /sys/fs/cgroup} on a real host */
    public TasksCgroup(Path cgroupRoot) {
        this.cgroupRoot = cgroupRoot;
    }

    /**
     * Makes sure {@code /terok-tasks} exists with the weight, where it can be, and says where task containers go. Cheap
     * enough to call on every launch, which also puts back a cgroup removed since (a cgroup filesystem is empty after a
     * reboot).
     *
     * @param shares the weight as cgroup v1 cpu.shares (0: off; converted to cpu.weight on cgroup v2 as podman does)
     */
    public Placement ensure(Host host, long shares) {
        if (shares == 0) {
            return Placement.notApplied("off (terok.runtime.tasks-cpu-shares is 0)");
        }
        if (shares < MIN_SHARES || shares > MAX_SHARES) {
            return Placement.failed("terok.runtime.tasks-cpu-shares must be 0 (off) or " + MIN_SHARES + "-" + MAX_SHARES
                    + ", got " + shares);
        }
        if (host.rootless()) {
            return Placement.notApplied("rootless podman (its cgroups belong to the user's own manager)");
        }
        if (!"cgroupfs".equals(host.cgroupManager())) {
            return Placement.notApplied("podman's cgroup manager is " + host.cgroupManager()
                    + ", not cgroupfs (no terok-tasks.slice is shipped)");
        }
        if (!host.cpuController()) {
            return Placement.notApplied("podman lists no cpu controller");
        }
        try {
            if ("v1".equals(host.cgroupVersion())) {
                return write(cgroupRoot.resolve("cpu"), "cpu.shares", shares);
            }
            if ("v2".equals(host.cgroupVersion())) {
                if (!words(cgroupRoot.resolve("cgroup.subtree_control")).contains("cpu")) {
                    return Placement.notApplied("the cpu controller is not enabled in " + cgroupRoot.resolve("cgroup.subtree_control"));
                }
                return write(cgroupRoot, "cpu.weight", v2Weight(shares));
            }
            return Placement.failed("unknown cgroup version '" + host.cgroupVersion() + "'");
        } catch (IOException | RuntimeException e) {
            return Placement.failed("cannot prepare the cgroup: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** podman's own conversion of cpu.shares to cgroup v2's cpu.weight (1-10000, default 100). */
    static long v2Weight(long shares) {
        return 1 + ((shares - 2) * 9999) / 262_142;
    }

    private static Placement write(Path hierarchy, String file, long value) throws IOException {
        if (!Files.isRegularFile(hierarchy.resolve(file))) {
            return Placement.failed("no " + file + " in " + hierarchy);
        }
        Path dir = hierarchy.resolve(NAME);
        Files.createDirectories(dir);
        Path f = dir.resolve(file);
        String want = Long.toString(value);
        if (!Files.readString(f, StandardCharsets.US_ASCII).strip().equals(want)) {
            Files.writeString(f, want, StandardCharsets.US_ASCII);
        }
        String got = Files.readString(f, StandardCharsets.US_ASCII).strip();
        if (!got.equals(want)) {
            return Placement.failed(f + " reads " + got + " after writing " + want);
        }
        return Placement.applied(file + " " + want + " (" + dir + ")");
    }

    private static List<String> words(Path file) throws IOException {
        return Files.exists(file) ? Arrays.asList(Files.readString(file, StandardCharsets.US_ASCII).strip().split("\\s+"))
                : List.of();
    }

    /** Records the placement for {@code terok doctor}; a failure to write only loses the doctor's line. */
    public static void record(Path runtimeDir, Placement placement) {
        try {
            Path tmp = Files.createTempFile(runtimeDir, STATUS_FILE, ".tmp");
            Files.writeString(tmp, placement.line() + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, runtimeDir.resolve(STATUS_FILE), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // Only doctor's line is lost; the launch goes on either way.
        }
    }

    /** The runtime's last recorded placement, if it has launched a task since the runtime directory was made. */
    public static Optional<String> recorded(Path runtimeDir) {
        try {
            Path f = runtimeDir.resolve(STATUS_FILE);
            return Files.exists(f) ? Optional.of(Files.readString(f, StandardCharsets.UTF_8).strip()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
