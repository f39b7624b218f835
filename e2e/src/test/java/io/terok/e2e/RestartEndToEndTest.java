package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivatePodman;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A filtered task with a phantom token, a gate token and an SSH agent keeps every wiring across `terok stop` and
 * `terok start`, `podman restart` of its container behind terok's back (shield's hook runs again), `terok restart`, and
 * a simulated host reboot (services down, the task's container stopped, the podman API service itself restarted,
 * services up, `terok start`). After each: the firewall lets the allowed host of the fake internet through and blocks
 * another, the phantom token reaches the provider through the broker, the gate answers the task's token, `ssh-add -l`
 * lists the project's key and clearance names the task on the request a blocked connection raises. Last, a revoked
 * task restarted stays revoked (behind its firewall still). One installation, services started once (the reboot
 * restarts them).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestartEndToEndTest {
    static final String REAL_KEY = "sk-ant-restart-REAL-0123456789";
    static final String TASK = "e2e-restart";
    static Installation installation;
    static Terok terok;
    static PrivatePodman podman;
    static FakeInternet internet;
    static List<String> providerSaw;
    /** Each check blocks a new port, so a request left pending from an earlier round cannot answer for this one. */
    static int blockedPort = 8100;

    @BeforeAll
    static void up() throws Exception {
        installation = Installation.start("restart", FakeInternet.spec("trs").addresses(2, 5), REAL_KEY, Installation::json)
                .withProject("e2e-restart");
        terok = installation.terok;
        podman = installation.podman;
        internet = installation.internet;
        providerSaw = installation.providerSaw;
        terok.run("ssh", "add", "e2e-restart", "--use", "task", "--comment", "restart-key").ok();
        terok.run("run", "-d", "--name", TASK, "--project", "e2e-restart", "--provider", "anthropic",
                "localhost/terok-agent:latest", "sleep", "3600").ok();
        terok.run("shield", "allow", TASK, internet.ip(2)).ok();
    }

    @AfterAll
    static void down() {
        if (installation != null) {
            installation.close();
        }
    }

    static Terok.Result inTask(String script) {
        return terok.run("exec", TASK, "sh", "-c", script);
    }

    static boolean reaches(String url) {
        return terok.run("exec", TASK, "curl", "-sS", "-m", "3", "-o", "/dev/null", url).exitCode() == 0;
    }

    static String podmanState() {
        return Cmd.run("podman", "--url=unix://" + podman.socket, "inspect", "--format", "{{.State.Status}}", TASK).out().strip();
    }

    /** Blocks a connection to a new port of the not-allowed host until clearance lists a request for it. */
    static String clearanceRequestLine() throws InterruptedException {
        String dst = internet.ip(3) + ":" + (++blockedPort);
        for (int i = 0; i < 40; i++) {
            inTask("curl -sS -m 1 -o /dev/null http://" + dst + "/ 2>/dev/null");
            for (String line : terok.run("clearance", "list").ok().out().lines().toList()) {
                if (line.contains("-> " + dst + "/")) {
                    return line;
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no clearance request for " + dst + " within 20 s");
    }

    /** Every wiring of the task works, as at launch. */
    static void assertFullyWired(String after) throws InterruptedException {
        assertEquals("running", podmanState(), after);
        assertTrue(reaches("http://" + internet.ip(2) + "/"), after + ": the allowed host is reachable");
        assertFalse(reaches("http://" + internet.ip(3) + "/"), after + ": another host of the fake internet is blocked");
        providerSaw.clear();
        Terok.Result broker = inTask("curl -sS -m 5 -H \"x-api-key: $ANTHROPIC_API_KEY\" \"$ANTHROPIC_BASE_URL/v1/messages\"");
        assertEquals(0, broker.exitCode(), after + ": " + broker.out() + broker.err());
        assertTrue(broker.out().contains("{\"ok\":true}"), after + ": the broker relayed the call: " + broker.out());
        assertEquals(List.of(REAL_KEY), providerSaw, after + ": with the real key for the same phantom token");
        Terok.Result gate = inTask("git ls-remote \"$TEROK_GATE_URL\" 2>&1");
        assertEquals(0, gate.exitCode(), after + ": the gate answers the task's token: " + gate.out());
        assertTrue(gate.out().contains("refs/heads/main"), after + ": " + gate.out());
        Terok.Result ssh = inTask("ssh-add -l 2>&1");
        assertEquals(0, ssh.exitCode(), after + ": the SSH agent answers: " + ssh.out());
        assertTrue(ssh.out().contains(" restart-key (ED25519)"), after + ": " + ssh.out());
        assertTrue(clearanceRequestLine().startsWith(TASK + " -> "), after + ": clearance knows the task by name");
    }

    @Test
    @Order(1)
    void stopAndStartKeepEveryWiring() throws Exception {
        assertFullyWired("after the launch");
        String phantom = inTask("printenv ANTHROPIC_API_KEY").ok().out().strip();
        terok.run("stop", "-t", "1", TASK).ok();
        assertEquals("exited", podmanState());
        assertEquals(TASK + "\n", terok.run("start", TASK).ok().out());
        assertFullyWired("after terok stop and terok start");
        assertEquals(phantom, inTask("printenv ANTHROPIC_API_KEY").ok().out().strip(), "the same phantom token");
        assertEquals(TASK + "\n", terok.run("start", TASK).ok().out(), "starting a running task changes nothing");
    }

    @Test
    @Order(2)
    void podmanRestartBehindTeroksBackRunsTheHookAgain() throws Exception {
        String before = Cmd.run("podman", "--url=unix://" + podman.socket, "inspect", "--format", "{{.State.Pid}}", TASK).out().strip();
        Cmd.run("podman", "--url=unix://" + podman.socket, "restart", "-t", "1", TASK);
        String pid = Cmd.run("podman", "--url=unix://" + podman.socket, "inspect", "--format", "{{.State.Pid}}", TASK).out().strip();
        assertNotEquals(before, pid, "a new process in a new network namespace");
        assertFullyWired("after podman restart");
        terok.run("restart", "-t", "1", TASK).ok();
        assertFullyWired("after terok restart");
    }

    @Test
    @Order(3)
    void aSimulatedHostRebootThenStartBringsEverythingBack() throws Exception {
        terok.run("services", "down").ok();
        Cmd.run("podman", "--url=unix://" + podman.socket, "stop", "-t", "1", TASK);
        assertEquals("exited", podmanState());
        podman = installation.restartPodman();
        terok.run("services", "up").ok();
        Terok.Result started = terok.run("start", TASK);
        assertEquals(0, started.exitCode(), started.out() + started.err());
        assertFullyWired("after the services, the podman service and the task came back");
    }

    /**
     * Shield, then clearance, killed before the operator's Allow reaches it: the verdict fails and nothing is opened (the
     * task's ruleset stays loaded in its network namespace without shield); once they are back a new request is raised
     * for the same destination and its Allow opens it.
     */
    @Test
    @Order(4)
    void anAllowWithShieldOrClearanceKilledFailsClosed() throws Exception {
        for (String killed : List.of("shield", "clearance")) {
            String url = "http://" + internet.ip(killed.equals("shield") ? 4 : 5) + "/";
            String dst = url.substring("http://".length(), url.length() - 1) + ":80";
            String request = requestFor(url, dst, killed + " running");
            terok.kill9(killed);
            Terok.Result allow = terok.run("clearance", "allow", request);
            assertNotEquals(0, allow.exitCode(), killed + " killed: " + allow.out() + allow.err());
            assertFalse(reaches(url), killed + " killed: nothing was opened");
            terok.run("services", "up").ok();
            assertFalse(reaches(url), killed + " back: still nothing opened without a verdict applied");
            terok.run("clearance", "allow", requestFor(url, dst, killed + " back")).ok();
            assertTrue(reaches(url), killed + " back: the next Allow opened " + dst);
        }
    }

    /** Connects to {@code url} from the task until clearance lists a request for {@code dst} naming the task; its id. */
    static String requestFor(String url, String dst, String when) throws InterruptedException {
        for (int i = 0; i < 80; i++) {
            inTask("curl -sS -m 1 -o /dev/null " + url + " 2>/dev/null");
            for (String line : terok.run("clearance", "list").ok().out().lines().toList()) {
                if (line.contains("-> " + dst + "/")) {
                    assertTrue(line.startsWith(TASK + " -> "), when + ": " + line);
                    return line.substring(line.indexOf("[request ") + 9, line.length() - 1);
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError(when + ": no clearance request for " + dst + " within 20 s");
    }

    @Test
    @Order(5)
    void aRevokedTaskStaysRevokedAcrossARestart() throws Exception {
        terok.run("revoke", TASK).ok();
        Terok.Result restarted = terok.run("restart", "-t", "1", TASK).ok();
        assertEquals(TASK + " (its credentials stay revoked)\n", restarted.out());
        assertEquals("running", podmanState());
        providerSaw.clear();
        Terok.Result broker = inTask("curl -sS -m 5 -o /dev/null -w '%{http_code}' -H \"x-api-key: $ANTHROPIC_API_KEY\" "
                + "\"$ANTHROPIC_BASE_URL/v1/messages\"");
        assertEquals("401", broker.out().strip(), "the phantom token is dead: " + broker.out() + broker.err());
        assertEquals(List.of(), providerSaw, "nothing reached the provider");
        Terok.Result gate = inTask("git ls-remote \"$TEROK_GATE_URL\" 2>&1");
        assertNotEquals(0, gate.exitCode(), gate.out());
        assertTrue(gate.out().contains("the gate token is unknown or has been revoked"), gate.out());
        assertNotEquals(0, inTask("ssh-add -l").exitCode(), "no SSH agent");
        assertTrue(reaches("http://" + internet.ip(2) + "/"), "still behind its firewall, as launched");
        assertFalse(reaches("http://" + internet.ip(3) + "/"));
    }

    /**
     * The task's record names a firewall shield no longer knows (its state released behind runtime's back): the start is
     * refused with an error naming shield and what to do, and the container stays stopped: never started unfiltered.
     */
    @Test
    @Order(6)
    void aTaskWhoseFirewallStateIsGoneIsNotStarted() throws Exception {
        String id;
        try (var records = Files.list(terok.home.resolve("data/runtime/tasks"))) {
            id = records.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).findFirst().orElseThrow()
                    .replace(".json", "");
        }
        terok.run("stop", "-t", "1", TASK).ok();
        ManagedChannel ch = UnixChannels.open(terok.runtimeDir().resolve("shield.sock"));
        try {
            ShieldServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .releaseTask(io.terok.api.v1.ShieldTaskRef.newBuilder().setTaskId(id).build());
        } finally {
            ch.shutdownNow();
        }
        Terok.Result start = terok.run("start", TASK);
        assertNotEquals(0, start.exitCode(), start.out());
        assertTrue(start.err().contains("shield-service has no firewall state for it any more")
                && start.err().contains("terok rm " + TASK), start.err());
        assertEquals("exited", podmanState(), "not started without its firewall");
    }
}
