package io.terok.shield;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.terok.shield.events.BlockedEvent;
import io.terok.shield.events.BlockedEventHub;
import io.terok.shield.hooks.HooksInstaller;
import io.terok.shield.netns.NetnsRunner;
import io.terok.shield.task.AuditLog;
import io.terok.shield.task.ShieldManager;
import io.terok.testsupport.FakeInternet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A ShieldManager with hooks in a private directory, as the integration tests use it, in front of a fake internet
 * ({@code tsh}: addresses .2-.5, {@code name.test} on .3, {@code other.test} and {@code near.test} on .4, HTTP on 22, 443 and
 * ports 80 and 81, and a private address) whose .2 is the forwarders' upstream resolver.
 */
final class TestShield implements AutoCloseable {
    /** Small caps, so a flood from a task rotates its audit and DNS query logs within a test. */
    static final long AUDIT_CAP = 16 * 1024;
    static final long DNS_LOG_CAP = 8 * 1024;
    final Path root;
    final FakeInternet internet;
    final HooksInstaller hooks;
    final ShieldManager manager;
    private final ShieldManager.Settings settings;
    final Podman podman;
    private BlockedEventHub hub;

    TestShield(Path root, boolean rootless, NetnsRunner runner) throws IOException {
        this.root = root;
        internet = FakeInternet.spec("tsh").addresses(2, 5).name("name.test", 3).name("other.test", 4)
                .name("near.test", 4).port(81).port(22).port(443).privateAddress().start();
        try {
            hooks = new HooksInstaller(root.resolve("hooks"), root.resolve("state"),
                    root.resolve("containers.conf.d/terok-shield.conf"));
            hooks.install();
            Path conf = root.resolve("containers.conf");
            Podman.writeConf(conf, hooks);
            podman = new Podman(conf, rootless);
            settings = new ShieldManager.Settings(root.resolve("state"), root.resolve("profiles"),
                    List.of(), Optional.of(internet.ip(2)), 100, "30m", rootless);
            manager = manager(runner);
        } catch (IOException | RuntimeException e) {
            internet.close();
            throw e;
        }
    }

    /** Another manager over the same state, reaching the tasks' namespaces through {@code runner}. */
    ShieldManager manager(NetnsRunner runner) {
        return new ShieldManager(settings, runner, hooks::status, new AuditLog(Clock.systemUTC(), AUDIT_CAP));
    }

    /** The hub {@link #hub(NetnsRunner)} made. */
    BlockedEventHub hub() {
        return hub;
    }

    /** A blocked-event hub over this shield's tasks that scans often; closed with the shield. */
    BlockedEventHub hub(NetnsRunner runner) {
        hub = new BlockedEventHub(manager.store(), runner, 100, Duration.ofSeconds(30), Clock.systemUTC(),
                new AuditLog(Clock.systemUTC(), AUDIT_CAP), Duration.ofMillis(200), DNS_LOG_CAP);
        return hub;
    }

    /** The fake internet's web server on {@code .last}. */
    String url(int last) {
        return "http://" + internet.ip(last) + "/";
    }

    static String hex(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static String newTaskId() {
        return hex(16);
    }

    /**
     * Tries the refused URL until the blocked-connection event for it arrives: the NFLOG reader attaches within a scan
     * period of the container's start, so the first attempts may go unreported. Every attempt must be refused.
     */
    BlockedEvent firstBlocked(String container, String url, BlockingQueue<BlockedEvent> events) throws InterruptedException {
        for (int i = 0; i < 10; i++) {
            assertFalse(podman.reaches(container, url), "no allow yet: must be refused");
            BlockedEvent e = events.poll(1, TimeUnit.SECONDS);
            if (e != null) {
                return e;
            }
        }
        throw new AssertionError("no blocked-connection event for " + url);
    }

    @Override
    public void close() throws IOException {
        try {
            if (hub != null) {
                hub.close();
            }
            podman.removeAll();
            // their forwarders run in the containers' namespaces but outlive the containers
            manager.store().taskIds().forEach(manager::release);
            hooks.uninstall();
            Sh.run("rm", "-rf", root.toString());
        } finally {
            internet.close();
        }
    }
}
