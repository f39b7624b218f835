package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The normal case: an unprivileged operator runs terok with rootless podman. Runs the CLI and the services
 * as the rootless test user that bin/prepare-host creates.
 */
class RootlessEndToEndTest {
    static final String USER = System.getenv().getOrDefault("TEROK_TEST_USER", "terok-ci");
    static Terok terok;

    @BeforeAll
    static void up() throws Exception {
        terok = new Terok(Terok.freshHome("rootless", USER), USER);
        terok.run("services", "up").ok();
    }

    @AfterAll
    static void down() {
        terok.run("services", "down");
    }

    @Test
    void rootlessTaskIsUid1000InsideAndTheOperatorOutside() throws Exception {
        assertUid1000InsideAndTheOperatorOutside("localhost/terok-busybox:latest");
    }

    /**
     * An image whose configuration names root as its user, as every agent image does (its layers are built as root):
     * the task still runs as uid 1000, mapped to the operator, not as the container's root.
     */
    @Test
    void anImageThatSaysUserRootStillRunsAsUid1000() throws Exception {
        String image = "localhost/terok-busybox-user-root:latest";
        Terok.exec(List.of(Terok.REPO.resolve("bin/test-user").toString(), "podman", "import", "--quiet",
                "--change", "USER root", "--change", "CMD [\"/bin/sh\"]",
                "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "/var/cache/terok-ci/busybox-rootfs.tar", image),
                Map.of(), 120).ok();
        try {
            assertUid1000InsideAndTheOperatorOutside(image);
        } finally {
            Terok.exec(List.of(Terok.REPO.resolve("bin/test-user").toString(), "podman", "rmi", image), Map.of(), 60);
        }
    }

    private static void assertUid1000InsideAndTheOperatorOutside(String image) throws Exception {
        Terok.Result r = terok.run("run", "-d", "--name", "rootless-task", "--network", "none", "--read-only",
                image, "sh", "-c", "sleep 300").ok();
        String id = r.out().trim();
        try {
            Terok.Result inside = terok.run("exec", id, "sh", "-c",
                    "id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; touch /etc/x 2>/dev/null && echo WRITABLE; echo end").ok();
            List<String> lines = inside.out().lines().toList();
            assertEquals("1000", lines.get(0), inside.out());
            assertTrue(inside.out().contains("CapEff:\t0000000000000000"), inside.out());
            assertTrue(inside.out().contains("NoNewPrivs:\t1"), inside.out());
            assertTrue(!inside.out().contains("WRITABLE"), inside.out());

            // On the host the task's processes belong to the operator, not to root.
            String uid = Terok.exec(List.of("id", "-u", USER), Map.of(), 10).ok().out().trim();
            Terok.Result pid = Terok.exec(List.of(Terok.REPO.resolve("bin/test-user").toString(), "podman", "inspect",
                    "--format", "{{.State.Pid}}", "rootless-task"), Map.of(), 30).ok();
            String status = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", pid.out().trim(), "status"));
            String uidLine = status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
            assertTrue(uidLine.matches("Uid:\\s+" + uid + "\\s+" + uid + "\\s+.*"), "host uid of the task: " + uidLine);
        } finally {
            terok.run("rm", "-f", id).ok();
        }
        Terok.Result ps = Terok.exec(List.of(Terok.REPO.resolve("bin/test-user").toString(), "podman", "ps", "-a",
                "--filter", "name=rootless-task", "--format", "{{.Names}}"), Map.of(), 30).ok();
        assertEquals("", ps.out().trim(), "nothing left behind");
    }
}
