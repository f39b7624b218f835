package io.terok.runtime.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.terok.common.HostProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * terok's seccomp profile under rootless podman (keep-id: the task runs as the operator's kernel uid, the
 * case where the operator's keyring is in reach): the rootless test user (bin/test-user) runs the agent image
 * with the container settings {@link LibpodSpecBuilder} gives every task and the profile {@link SeccompProfile}
 * writes, and the attacks fail; the same container under podman's default profile lets them through, so the
 * attack is real and the test would fail without the profile.
 */
class SeccompRootlessTest {
    static final String USER = System.getenv().getOrDefault("TEROK_TEST_USER", "terok-ci");
    static final String IMAGE = "localhost/terok-agent:latest";
    static Path dir;
    static Path script;

    @BeforeAll
    static void setUp() throws IOException {
        boolean ready = run(List.of("id", USER)).ok();
        if (System.getenv("CI") != null) {
            assertTrue(ready, "the rootless test user " + USER + " exists (bin/prepare-host)");
        }
        assumeTrue(ready, "no rootless test user " + USER);
        assertTrue(run(testUser("podman", "image", "exists", IMAGE)).ok(), IMAGE + " is in " + USER + "'s podman storage");
        dir = Files.createTempDirectory("terok-seccomp-rootless");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        script = dir.resolve("attacks.sh");
        try (var in = SeccompRootlessTest.class.getResourceAsStream("/seccomp-attacks.sh")) {
            Files.write(script, in.readAllBytes());
        }
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void attacksFailUnderTerokProfileAndSucceedUnderPodmansDefault() throws IOException {
        // What the runtime service writes, handed to the test user as a rootless runtime service would own it.
        Path profile = SeccompProfile.write(dir.resolve("seccomp"), List.of());
        assertTrue(run(List.of("chown", "-R", USER + ":", dir.resolve("seccomp").toString())).ok());

        String withDefault = task(null);
        assertTrue(withDefault.contains("keyctl=ok"), "control: podman's default lets a keep-id task reach its keyring: " + withDefault);
        assertTrue(withDefault.contains("UNSHARE-OK"), "control: podman's default lets a task unshare -U: " + withDefault);

        String out = task(profile);
        assertTrue(out.contains("Seccomp:\t2"), out);
        assertTrue(out.contains("UNSHARE-REFUSED") && !out.contains("UNSHARE-OK"), "unshare -U fails: " + out);
        assertTrue(out.contains("keyctl=1\n"), "keyctl fails with EPERM: " + out);
        assertTrue(out.contains("add_key=1\n"), out);
        assertTrue(out.contains("request_key=1\n"), out);
        assertTrue(out.contains("clone_newuser=38\n"), "clone(CLONE_NEWUSER) fails: " + out);
        assertTrue(out.contains("clone3=38\n"), "clone3 answers ENOSYS: " + out);
        assertTrue(out.contains("fork=ok\n"), out);
        assertTrue(out.contains("GIT-OK"), "git still works: " + out);
        assertFalse(out.replace("fork=ok\n", "").contains("=ok\n"), "no other probe got through: " + out);
    }

    private static String task(Path profile) throws IOException {
        List<String> argv = new ArrayList<>(List.of("podman", "run", "--rm", "--network=none", "--userns=keep-id:uid=1000,gid=1000",
                "--cap-drop=ALL", "--security-opt=no-new-privileges", "-v", script + ":/attacks.sh:ro"));
        if (profile != null) {
            argv.add("--security-opt=seccomp=" + profile);
        }
        argv.addAll(List.of(IMAGE, "sh", "/attacks.sh"));
        HostProcess.Result r = run(testUser(argv.toArray(String[]::new)));
        assertEquals(0, r.exitCode(), r.describeFailure());
        return r.stdout();
    }

    private static List<String> testUser(String... argv) {
        List<String> l = new ArrayList<>();
        l.add(Path.of(System.getProperty("user.dir")).getParent().resolve("bin/test-user").toString());
        l.addAll(List.of(argv));
        return l;
    }

    private static HostProcess.Result run(List<String> argv) {
        try {
            return HostProcess.of(argv).directory(Path.of("/")).timeout(Duration.ofSeconds(120)).run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
