package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tasks' CPU weight (terok.runtime.tasks-cpu-shares) on this host (rootful podman, cgroupfs, cgroups v1): set to
 * 128, a filtered task with a phantom token runs in a cgroup under {@code /terok-tasks}, whose cpu.shares is 128, read
 * from the host's cgroup files, with its conmon outside it; its removal leaves no cgroup of its own behind. Off (the
 * default) or not applicable, the task launches under podman's own parent as before, and doctor says which.
 * ({@code /terok-tasks} itself is the machine's, shared by every rootful installation: never removed here.)
 */
class TasksCgroupEndToEndTest {
    static final Path CPU = Path.of("/sys/fs/cgroup/cpu");
    static final String SHARES = "TEROK_RUNTIME_TASKS_CPU_SHARES";
    static Installation installation;
    static Terok terok;

    @BeforeAll
    static void up() throws Exception {
        installation = Installation.start("tcg", FakeInternet.spec("tcg").addresses(2, 2), "sk-ant-tcg-REAL-0123456789",
                Installation::json, Map.of(SHARES, "128"));
        terok = installation.terok;
    }

    @AfterAll
    static void down() {
        if (installation != null) {
            installation.close();
        }
    }

    String inspect(String name, String format) {
        return Cmd.run("podman", "--url=unix://" + installation.podman.socket, "inspect", "--format", format, name).out().strip();
    }

    /** The process's cgroup in the cpu hierarchy (cgroup v1, as on this project's machines). */
    static String cpuCgroup(String pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && List.of(f[1].split(",")).contains("cpu")) {
                return f[2];
            }
        }
        throw new AssertionError("no cpu hierarchy in /proc/" + pid + "/cgroup");
    }

    /** Every cgroup hierarchy's directory named {@code libpod-ID} under {@code parent}. */
    static List<Path> cgroupsOf(String parent, String id) throws Exception {
        try (var s = Files.list(Path.of("/sys/fs/cgroup"))) {
            return s.map(h -> h.resolve(parent.substring(1)).resolve("libpod-" + id)).filter(Files::isDirectory).toList();
        }
    }

    String doctorLine() {
        return terok.run("doctor").out().lines().filter(l -> l.contains("tasks' CPU weight")).findFirst().orElse("(no line)");
    }

    @Test
    void aTaskSitsUnderTheWeightedParentAndLeavesNothingBehind() throws Exception {
        Cmd.require(List.of("podman"));
        assertEquals("v1 cgroupfs", Cmd.run("podman", "--url=unix://" + installation.podman.socket, "info", "--format",
                "{{.Host.CgroupsVersion}} {{.Host.CgroupManager}}").out().strip(), "this test is for rootful cgroupfs on v1");
        terok.run("run", "-d", "--name", "e2e-tcg", "--no-clearance", "--provider", "anthropic",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        String id = inspect("e2e-tcg", "{{.Id}}");
        String pid = inspect("e2e-tcg", "{{.State.Pid}}");
        String conmon = inspect("e2e-tcg", "{{.State.ConmonPid}}");

        assertEquals("/terok-tasks/libpod-" + id, cpuCgroup(pid), "the task's cgroup");
        assertEquals("128", Files.readString(CPU.resolve("terok-tasks/cpu.shares")).strip(), "the tasks' weight");
        assertFalse(cpuCgroup(conmon).startsWith("/terok-tasks"), "conmon (a launch's runc and hooks) is outside the tasks");
        assertFalse(cgroupsOf("/terok-tasks", id).isEmpty());
        assertTrue(terok.run("exec", "e2e-tcg", "printenv", "ANTHROPIC_API_KEY").ok().out().strip().length() > 0,
                "a filtered task with its phantom token");
        String line = doctorLine();
        assertTrue(line.contains("ok") && line.contains("applied: cpu.shares 128 (/sys/fs/cgroup/cpu/terok-tasks)"), line);

        terok.run("rm", "-f", "e2e-tcg").ok();
        List<Path> left = cgroupsOf("/terok-tasks", id);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!left.isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            left = cgroupsOf("/terok-tasks", id);
        }
        assertEquals(List.of(), left, "the removed task's cgroups");
        assertTrue(Files.isDirectory(CPU.resolve("terok-tasks")), "the parent stays for the next task");
    }

    /** Restarts the services with the setting {@code shares} (null: unset, the default). */
    void servicesWith(String shares) {
        terok.run("services", "down").ok();
        if (shares == null) {
            terok.env.remove(SHARES);
        } else {
            terok.env.put(SHARES, shares);
        }
        terok.run("services", "up").ok();
    }

    /** Launches a filtered task with a phantom token and returns its container's cgroup in the cpu hierarchy. */
    String launchedCgroup(String name) throws Exception {
        terok.run("run", "-d", "--name", name, "--no-clearance", "--provider", "anthropic",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        return cpuCgroup(inspect(name, "{{.State.Pid}}"));
    }

    @Test
    void offOrNotApplicableTasksLaunchUnderPodmansParentAsBefore() throws Exception {
        try {
            // A weight the kernel would refuse: the runtime's placement fails, the path any host where it cannot be
            // applied takes (the launch goes on under podman's own parent; doctor warns, as it should have applied).
            servicesWith("1");
            String cg = launchedCgroup("e2e-tcg-bad");
            assertEquals("/libpod_parent/libpod-" + inspect("e2e-tcg-bad", "{{.Id}}"), cg);
            String line = doctorLine();
            assertTrue(line.contains("WARN") && line.contains("tasks-cpu-shares must be 0 (off) or 2-262144, got 1"), line);
            terok.run("rm", "-f", "e2e-tcg-bad").ok();

            // The default: off, exactly as before.
            servicesWith(null);
            cg = launchedCgroup("e2e-tcg-off");
            assertEquals("/libpod_parent/libpod-" + inspect("e2e-tcg-off", "{{.Id}}"), cg);
            line = doctorLine();
            assertTrue(line.contains(" ok (not applied: off"), line);
            terok.run("rm", "-f", "e2e-tcg-off").ok();
        } finally {
            servicesWith("128");
        }
    }
}
