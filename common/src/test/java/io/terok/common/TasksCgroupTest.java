package io.terok.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where task containers' cgroups go on each kind of host, against a cgroup tree made of plain files (the real one is
 * read in e2e's TasksCgroupEndToEndTest). A plain directory does not make a cgroup's files on mkdir as the kernel
 * does, so the fake trees hold {@code terok-tasks}' weight file already, at the kernel's default.
 */
class TasksCgroupTest {
    private static final TasksCgroup.Host ROOTFUL_V1 = new TasksCgroup.Host(false, "cgroupfs", "v1", true);

    @TempDir
    Path root;

    private Path v1Tree() throws IOException {
        Files.createDirectories(root.resolve("cpu/terok-tasks"));
        Files.writeString(root.resolve("cpu/cpu.shares"), "1024\n");
        Files.writeString(root.resolve("cpu/terok-tasks/cpu.shares"), "1024\n");
        return root;
    }

    @Test
    void rootfulCgroupfsOnV1GetsTheWeightedParent() throws IOException {
        TasksCgroup.Placement p = new TasksCgroup(v1Tree()).ensure(ROOTFUL_V1, 128);
        assertEquals(Optional.of("/terok-tasks"), p.parent());
        assertEquals("128", Files.readString(root.resolve("cpu/terok-tasks/cpu.shares")).strip());
        assertTrue(p.line().startsWith(TasksCgroup.APPLIED), p.line());
        assertTrue(p.line().contains("cpu.shares 128"), p.line());
    }

    @Test
    void aRemovedParentIsMadeAgainAtTheNextLaunch() throws IOException {
        // The kernel's mkdir makes cpu.shares; the fake's first mkdir does not, so the first call is refused cleanly.
        Files.createDirectories(root.resolve("cpu"));
        Files.writeString(root.resolve("cpu/cpu.shares"), "1024\n");
        TasksCgroup c = new TasksCgroup(root);
        TasksCgroup.Placement p = c.ensure(ROOTFUL_V1, 128);
        assertTrue(Files.isDirectory(root.resolve("cpu/terok-tasks")), "the parent is made");
        assertEquals(Optional.empty(), p.parent());
        assertTrue(p.line().startsWith(TasksCgroup.FAILED), p.line());
        Files.writeString(root.resolve("cpu/terok-tasks/cpu.shares"), "1024\n");
        assertEquals(Optional.of("/terok-tasks"), c.ensure(ROOTFUL_V1, 128).parent());
    }

    @Test
    void hostsWhereItCannotApplyLaunchAsBeforeAndSayWhy() throws IOException {
        TasksCgroup c = new TasksCgroup(v1Tree());
        assertNotApplied(c.ensure(new TasksCgroup.Host(true, "cgroupfs", "v1", false), 128), "rootless");
        assertNotApplied(c.ensure(new TasksCgroup.Host(true, "systemd", "v2", true), 128), "rootless");
        assertNotApplied(c.ensure(new TasksCgroup.Host(false, "systemd", "v2", true), 128), "cgroup manager is systemd");
        assertNotApplied(c.ensure(new TasksCgroup.Host(false, "cgroupfs", "v1", false), 128), "no cpu controller");
        assertNotApplied(c.ensure(ROOTFUL_V1, 0), "off");
        assertEquals("1024", Files.readString(root.resolve("cpu/terok-tasks/cpu.shares")).strip(), "nothing written");
    }

    @Test
    void aWrongSettingOrCgroupFilesystemFailsSafeAndSaysSo() throws IOException {
        TasksCgroup.Placement low = new TasksCgroup(v1Tree()).ensure(ROOTFUL_V1, 1);
        assertEquals(Optional.empty(), low.parent());
        assertTrue(low.line().startsWith(TasksCgroup.FAILED) && low.line().contains("got 1"), low.line());
        TasksCgroup.Placement none = new TasksCgroup(root.resolve("missing")).ensure(ROOTFUL_V1, 128);
        assertEquals(Optional.empty(), none.parent());
        assertTrue(none.line().startsWith(TasksCgroup.FAILED) && none.line().contains("cpu.shares"), none.line());
    }

    @Test
    void onV2TheWeightIsPodmansConversionWhereTheCpuControllerIsEnabled() throws IOException {
        TasksCgroup.Host v2 = new TasksCgroup.Host(false, "cgroupfs", "v2", true);
        Files.writeString(root.resolve("cgroup.subtree_control"), "memory pids\n");
        Files.writeString(root.resolve("cpu.weight"), "100\n");
        TasksCgroup c = new TasksCgroup(root);
        assertNotApplied(c.ensure(v2, 128), "cpu controller is not enabled");
        Files.writeString(root.resolve("cgroup.subtree_control"), "cpu memory pids\n");
        Files.createDirectories(root.resolve("terok-tasks"));
        Files.writeString(root.resolve("terok-tasks/cpu.weight"), "100\n");
        assertEquals(Optional.of("/terok-tasks"), c.ensure(v2, 128).parent());
        assertEquals("5", Files.readString(root.resolve("terok-tasks/cpu.weight")).strip());
        assertEquals(1, TasksCgroup.v2Weight(2));
        assertEquals(10_000, TasksCgroup.v2Weight(262_144));
        assertEquals(39, TasksCgroup.v2Weight(1024));
    }

    @Test
    void theRecordedPlacementIsWhatDoctorReads() {
        assertEquals(Optional.empty(), TasksCgroup.recorded(root));
        TasksCgroup.Placement p = new TasksCgroup(root).ensure(new TasksCgroup.Host(true, "cgroupfs", "v1", false), 128);
        TasksCgroup.record(root, p);
        assertEquals(Optional.of(p.line()), TasksCgroup.recorded(root));
    }

    private static void assertNotApplied(TasksCgroup.Placement p, String why) {
        assertEquals(Optional.empty(), p.parent(), p.line());
        assertTrue(p.line().startsWith(TasksCgroup.NOT_APPLIED), p.line());
        assertTrue(p.line().contains(why), p.line());
        assertFalse(p.line().startsWith(TasksCgroup.FAILED));
    }
}
