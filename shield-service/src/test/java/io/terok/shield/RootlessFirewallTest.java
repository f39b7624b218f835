package io.terok.shield;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.shield.events.BlockedEvent;
import io.terok.shield.netns.NsenterRunner;
import io.terok.testsupport.FakeInternet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The same firewall for rootless podman: containers of the test user (bin/test-user), the hook running as uid 0
 * in podman's user namespace, live changes through {@code nsenter -t PID -U -n} as that user. The test JVM is root,
 * so it hands the state files to the test user after each change, as a rootless shield-service would own them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RootlessFirewallTest {
    static final String USER = System.getenv().getOrDefault("TEROK_TEST_USER", "terok-ci");
    static FakeInternet internet;
    static TestShield shield;
    static final String TASK = TestShield.newTaskId();
    static final String NAME = "shield-rl-" + TASK.substring(0, 8);
    static final LinkedBlockingQueue<BlockedEvent> events = new LinkedBlockingQueue<>();

    @BeforeAll
    static void setUp() throws Exception {
        Sh.require(true, "podman", "nft", "nsenter", "ip", "dnsmasq", "busybox", "tcpdump", "curl", "setpriv");
        if (Sh.run("id", USER).code() != 0) {
            Sh.require(false, "user-" + USER);
        }
        Path root = Files.createTempDirectory("shield-rootless");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        // as the operator; first hand the files the (root) test JVM just wrote over to the operator
        NsenterRunner runner = new NsenterRunner(true, List.of("sh", "-c", "chown -R " + USER + ": " + root
                + " && exec \"$@\"", "sh", Podman.testUser()));
        shield = new TestShield(root, true, runner);
        internet = shield.internet;
        Files.createDirectories(root.resolve("profiles"));
        Files.writeString(root.resolve("profiles/fake-internet.txt"), "name.test 80\n");
        shield.hub(runner).subscribe(TASK, events::add);
        shield.manager.prepare(TASK, NAME, List.of("fake-internet"), List.of(), "10.0.2.2");
        handOver();
        Sh.Out run = shield.podman.runTask(NAME, TASK);
        assertEquals(0, run.code(), run.both());
    }

    /** A rootless shield-service runs as the operator: its files belong to the operator. */
    static void handOver() {
        Sh.ok("chown", "-R", USER + ":", shield.root.toString());
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (shield != null) {
            shield.close();
        }
    }

    @Test
    @Order(1)
    void refusedBeforeAllowWithAnEventThenAllowAndDenyLive() throws Exception {
        BlockedEvent e = shield.firstBlocked(NAME, shield.url(5), events);
        assertEquals(internet.ip(5), e.destinationIp());
        shield.manager.allow(TASK, internet.ip(5));
        handOver();
        assertTrue(shield.podman.reaches(NAME, shield.url(5)), "allowed live");
        shield.manager.deny(TASK, internet.ip(5));
        handOver();
        assertFalse(shield.podman.reaches(NAME, shield.url(5)), "denied live");
    }

    @Test
    @Order(2)
    void domainAllowThroughTheForwarder() {
        assertTrue(shield.podman.reaches(NAME, "http://name.test/"));
        assertFalse(shield.podman.reaches(NAME, "http://other.test/"));
        shield.manager.allow(TASK, "other.test");
        handOver();
        assertTrue(shield.podman.reaches(NAME, "http://other.test/"), () -> "domain allowed live\n"
                + Sh.run("sh", "-c", "tail -n 30 " + shield.manager.store().dir(TASK).resolve("dnsmasq.log")).both()
                + shield.manager.rules(TASK));
    }

    @Test
    @Order(3)
    void restartKeepsTheFirewallAndAFailingHookStopsTheStart() throws Exception {
        shield.manager.deny(TASK, "other.test");
        handOver();
        assertEquals(0, shield.podman.podman("restart", "-t", "0", NAME).code());
        assertFalse(shield.podman.reaches(NAME, shield.url(5)), "firewall back after podman restart");
        assertTrue(shield.podman.reaches(NAME, "http://name.test/"), "forwarder back after podman restart");
        assertEquals(0, shield.podman.podman("stop", "-t", "0", NAME).code());
        Files.writeString(shield.manager.store().dir(TASK).resolve("ruleset.nft"), "garbage\n");
        handOver();
        assertNotEquals(0, shield.podman.podman("start", NAME).code(), "the hook fails: no start");
        assertNotEquals("running", shield.podman.state(NAME));
    }
}
