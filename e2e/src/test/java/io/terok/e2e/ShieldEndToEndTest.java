package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.ShieldState;
import io.terok.api.v1.ShieldTaskRef;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.DesktopSession;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivateInstallation;
import io.terok.testsupport.PrivatePodman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A FILTERED task launched with {@code terok run}: runtime-service asks shield-service, the container gets the
 * hook's firewall and the task's resolver, shield's live Allow/Deny reach it, {@code terok rm} releases it.
 * Private: the runtime talks to a podman API service this test starts with its own CONTAINERS_CONF (hooks_dir =
 * the shield's hooks dir in the test's data dir), and traffic goes to a fake-internet netns (198.19.N.0/24).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShieldEndToEndTest {
    static Terok terok;
    static PrivateInstallation installation;
    static PrivatePodman podman;
    static FakeInternet internet;
    static DesktopSession desktop;
    static String net;

    @BeforeAll
    static void up() throws Exception {
        Cmd.require(List.of("nft", "nsenter", "ip", "dnsmasq", "busybox"));
        // podman API service with a private containers.conf that lists the shield's hooks dir; the test installs them
        installation = Terok.install("shield", FakeInternet.spec("tse").addresses(2, 6).name("name.test", 3).port(81));
        terok = new Terok(installation);
        internet = installation.internet();
        podman = installation.podman();
        net = internet.net;
        Files.createDirectories(terok.home.resolve("config/shield/profiles"));
        Files.writeString(terok.home.resolve("config/shield/profiles/fake-internet.txt"), "name.test 80\n");
        terok.env.put("TEROK_SHIELD_DEFAULT_PROFILES", "fake-internet");
        // A provider on the fake internet (.6), relayed by the vault's broker on the host.
        installation.configWithVault("e2e-shield-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: http://" + internet.ip(6));
        // The operator's desktop: clearance finds it through the session bus address, as in a real login.
        desktop = new DesktopSession();
        terok.env.put("DBUS_SESSION_BUS_ADDRESS", desktop.busAddress);
        installation.servicesUp();
        terok.runWithInput("sk-ant-shield-e2e-REAL", "vault", "add", "anthropic").ok();
    }

    @AfterAll
    static void down() throws Exception {
        if (installation != null) {
            terok.run("rm", "-f", "e2e-shield", "e2e-relayed");
            installation.close();
        }
        if (desktop != null) {
            desktop.close();
        }
    }

    static final class Shield implements AutoCloseable {
        final ManagedChannel ch = UnixChannels.open(terok.runtimeDir().resolve("shield.sock"));

        ShieldServiceGrpc.ShieldServiceBlockingStub stub() {
            return ShieldServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            ch.shutdownNow();
        }
    }

    boolean reaches(String url) {
        return reaches("e2e-shield", url);
    }

    boolean reaches(String task, String url) {
        return terok.run("exec", task, "curl", "-sS", "-m", "3", "-o", "/dev/null", url).exitCode() == 0;
    }

    /** Waits for clearance to list a pending request for the destination; returns its id. */
    String pendingRequestFor(String destination) {
        for (int i = 0; i < 100; i++) {
            for (String line : terok.run("clearance", "list").ok().out().lines().toList()) {
                int at = line.indexOf("[request ");
                if (line.contains("-> " + destination + "/") && at > 0) {
                    return line.substring(at + "[request ".length(), line.length() - 1);
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no clearance request for " + destination + " within 10 s");
    }

    @Test
    @Order(1)
    void filteredTaskThroughTerokRun() throws Exception {
        try (Shield s = new Shield()) {
            Terok.Result refused = terok.run("run", "-d", "--name", "e2e-shield", "--no-clearance",
                    "localhost/terok-agent:latest", "sleep", "600");
            assertNotEquals(0, refused.exitCode(), "no hooks installed yet: the launch is refused (fail closed)");
            assertTrue(refused.err().contains("terok setup"), refused.err());

            HooksStatus h = s.stub().installHooks(HooksRequest.getDefaultInstance());
            assertTrue(h.getInstalled(), h.toString());
            // With clearance registered too: the full composition.
            String task = terok.run("run", "-d", "--name", "e2e-shield",
                    "localhost/terok-agent:latest", "sleep", "600").ok().out().strip();
            assertEquals(ShieldState.SHIELD_STATE_UP, s.stub().status(ShieldTaskRef.newBuilder().setTaskId(task).build())
                    .getState(), "the hook ran: the shield is live in the container");
            assertTrue(reaches("http://name.test/"), "profile domain through the task's resolver");
            assertFalse(reaches("http://" + net + ".2/"), "not allowed: refused");

            // On the desktop: the blocked connection pops up with Allow/Deny; Allow opens it live.
            Cmd.await(() -> desktop.displayed() == 1, "the prompt on the desktop");
            String menu = desktop.choose("Allow");
            assertTrue(menu.contains("#Allow (Blocked: " + net + ".2 port 80"), menu);
            for (int i = 0; i < 50 && !reaches("http://" + net + ".2/"); i++) {
                Thread.sleep(100);
            }
            assertTrue(reaches("http://" + net + ".2/"), "allowed live from the desktop, without a restart");

            // In the terminal: the same for another address, then a replayed verdict is refused.
            assertFalse(reaches("http://" + net + ".4/"), "not allowed: refused");
            String request = pendingRequestFor(net + ".4:80");
            Terok.Result allowed = terok.run("clearance", "allow", request).ok();
            assertTrue(allowed.out().startsWith("allowed"), allowed.out());
            assertTrue(reaches("http://" + net + ".4/"), "allowed live through clearance");
            assertFalse(reaches("http://" + net + ".4:81/"), "the Allow was for port 80: port 81 stays closed");
            Terok.Result forged = terok.run("clearance", "allow", request);
            assertNotEquals(0, forged.exitCode(), "a decided request cannot be replayed");

            // The task asks for the host's loopback (a database on 10.0.2.2:5432): Allow is refused, it stays closed.
            assertFalse(reaches("http://10.0.2.2:5432/"), "host loopback: refused");
            String loopback = pendingRequestFor("10.0.2.2:5432");
            Terok.Result refusedAllow = terok.run("clearance", "allow", loopback);
            assertNotEquals(0, refusedAllow.exitCode(), refusedAllow.out() + refusedAllow.err());
            assertTrue((refusedAllow.out() + refusedAllow.err()).contains("--host-port"), refusedAllow.out() + refusedAllow.err());
            assertFalse(terok.run("shield", "status", "e2e-shield").ok().out().contains("10.0.2.2"), "nothing was allowed");

            // A request still pending when the operator takes the shield down is dropped: it no longer applies.
            assertFalse(reaches("http://" + net + ".5/"), "not allowed: refused");
            pendingRequestFor(net + ".5:80");
            terok.run("shield", "down", "e2e-shield").ok();
            for (int i = 0; i < 50 && terok.run("clearance", "list").ok().out().contains(net + ".5:"); i++) {
                Thread.sleep(100);
            }
            assertFalse(terok.run("clearance", "list").ok().out().contains(net + ".5:"), "dropped with shield down");
            terok.run("shield", "up", "e2e-shield").ok();

            terok.run("shield", "deny", "e2e-shield", net + ".2").ok();
            assertFalse(reaches("http://" + net + ".2/"), "denied live: deny beats the allow");
            assertTrue(terok.run("shield", "status", "e2e-shield").ok().out().contains(net + ".2"));
            terok.run("rm", "-f", "e2e-shield").ok();
            assertFalse(Files.exists(terok.home.resolve("state/shield").resolve(task)), "released on rm");

            // A task that is over before the runtime checks its firewall still started behind it: not undone.
            for (int i = 0; i < 3; i++) {
                Terok.Result quick = terok.run("run", "--rm", "--no-clearance", "localhost/terok-agent:latest",
                        "sh", "-c", "nft list ruleset >/dev/null 2>&1; echo quick-done");
                assertEquals(0, quick.exitCode(), quick.out() + quick.err());
                assertTrue(quick.out().contains("quick-done"), quick.out() + quick.err());
            }
        }
    }

    /** Runs after the first test, which installed the hooks. */
    @Test
    @Order(2)
    void aTasksProviderIsReachedThroughTheBrokerOnly() {
        String provider = internet.ip(6);
        terok.run("run", "-d", "--name", "e2e-relayed", "--provider", "anthropic", "--no-clearance",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        assertTrue(terok.run("shield", "status", "e2e-relayed").ok().out().contains("relayed:  " + provider), "vault -> runtime -> shield");
        Terok.Result allowed = terok.run("shield", "allow", "e2e-relayed", provider).ok();
        assertTrue(allowed.out().contains("relayed by the vault"), allowed.out());
        assertFalse(reaches("e2e-relayed", "http://" + provider + "/"), "no direct connection, even allowed");
        Terok.Result viaBroker = terok.run("exec", "e2e-relayed", "sh", "-c",
                "curl -sS -m 10 -H \"x-api-key: $ANTHROPIC_API_KEY\" \"$ANTHROPIC_BASE_URL/index.html\"");
        assertEquals(0, viaBroker.exitCode(), viaBroker.out() + viaBroker.err());
        assertTrue(viaBroker.out().contains("hello from the fake internet"), "through the broker it works: " + viaBroker.out());
        terok.run("rm", "-f", "e2e-relayed").ok();
    }
}
