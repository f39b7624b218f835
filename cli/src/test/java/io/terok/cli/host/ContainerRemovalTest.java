package io.terok.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.HostProcess;
import io.terok.testsupport.PrivateStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * `terok uninstall` against a service container that another podman is still stopping (systemd's ExecStop): real podman
 * in a storage of the test's own (a {@code podman} on the test's PATH that sets {@code CONTAINERS_STORAGE_CONF}), a
 * container named like the deployment's that ignores SIGTERM, so its stop takes the whole stop timeout. Podman 4.3.1
 * drops such a container's record at once when asked again (`podman rmi --force` of its image, what uninstall did
 * before, or a second `podman rm --force`) while its process runs on; the removal must wait for the process.
 */
class ContainerRemovalTest {
    static final String IMAGE = "localhost/terok-vault:latest";
    static final String NAME = "terok-vault";
    static Path dir;
    static Path podman;

    @BeforeAll
    static void storage() throws Exception {
        PrivateStorage storage = PrivateStorage.create("terok-container-removal");
        dir = storage.dir();
        Path conf = storage.conf();
        Path rootfs = storage.busyboxRootfs();
        podman = dir.resolve("podman");
        Files.writeString(podman, "#!/bin/sh\nCONTAINERS_STORAGE_CONF=" + conf + " exec " + HostProcess.which("podman") + " \"$@\"\n");
        Files.setPosixFilePermissions(podman, PosixFilePermissions.fromString("rwx------"));
        podman("import", "-q", rootfs.toString(), IMAGE);
    }

    @AfterAll
    static void removeStorage() throws Exception {
        if (dir != null) {
            HostProcess.of(podman.toString(), "rm", "-af", "-t", "0").timeout(Duration.ofMinutes(1)).run();
            HostProcess.of(podman.toString(), "system", "reset", "-f").timeout(Duration.ofMinutes(1)).run();
            HostProcess.of("rm", "-rf", dir.toString()).run();
        }
    }

    static String podman(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(podman.toString()));
        cmd.addAll(List.of(args));
        HostProcess.Result r = HostProcess.of(cmd).timeout(Duration.ofMinutes(1)).run();
        assertTrue(r.ok(), () -> String.join(" ", cmd) + ": " + r.describeFailure());
        return r.stdout();
    }

    /** A service container that ignores SIGTERM, being stopped by another podman with a 6 s stop timeout; its pid. */
    static long stoppingContainer() throws Exception {
        podman("run", "-d", "--name", NAME, "--network=none", IMAGE, "sh", "-c", "trap '' TERM; while true; do sleep 1; done");
        long pid = Long.parseLong(podman("inspect", "--format", "{{.State.Pid}}", NAME).strip());
        new ProcessBuilder(podman.toString(), "rm", "--force", "--time", "6", NAME)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        for (int i = 0; i < 100 && !podman("ps", "-a", "--format", "{{.State}}", "--filter", "name=^" + NAME + "$").contains("topping"); i++) {
            Thread.sleep(50);
        }
        return pid;
    }

    @Test
    void theRemovalEndsOnlyWhenTheContainersProcessIsGone() throws Exception {
        long pid = stoppingContainer();
        assertTrue(Files.exists(Path.of("/proc/" + pid)), "the container runs while it is being stopped");
        long start = System.nanoTime();
        ContainerRemoval.Result r = new ContainerRemoval(podman.toString()).removeAll(List.of(IMAGE), List.of(NAME), Duration.ofSeconds(30));
        long took = (System.nanoTime() - start) / 1_000_000;
        assertEquals(List.of(), r.left());
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "no process of the container is left once the removal returns (" + took + " ms)");
        assertEquals("", podman("ps", "-a", "--format", "{{.Names}}").strip());
    }

    @Test
    void whatIsStillStoppingAtTheDeadlineIsNamed() throws Exception {
        long pid = stoppingContainer();
        ContainerRemoval.Result r = new ContainerRemoval(podman.toString()).removeAll(List.of(IMAGE), List.of(NAME), Duration.ofMillis(500));
        assertEquals(1, r.left().size(), "the container still stopping is reported: " + r.left());
        ContainerRemoval.Left left = r.left().get(0);
        assertEquals(NAME, left.name());
        assertTrue(Files.exists(Path.of("/proc/" + pid)), "it was indeed still running");
        assertTrue(left.describe().startsWith(NAME + " (container ") && left.describe().contains("conmon pid " + left.conmonPid()), left.describe());
        // It goes with the other podman's stop timeout; a second removal then finds nothing left.
        assertEquals(List.of(), new ContainerRemoval(podman.toString()).removeAll(List.of(IMAGE), List.of(NAME), Duration.ofSeconds(30)).left());
        assertFalse(Files.exists(Path.of("/proc/" + pid)));
    }
}
