package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivatePodman;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code terok panic} on a full installation: a filtered task that reaches an allowed host of the fake internet and
 * uses a phantom token, and a task launched without a firewall. After the panic the first reaches nothing (not its
 * host, not the broker) and its phantom token is dead, the second is killed, no task can be launched, and all of it
 * holds across a restart of the services, until the operator clears the panic, unlocks the vault and reopens the
 * firewall. With runtime-service gone, the CLI still kills every task container itself.
 */
class PanicEndToEndTest {
    static final String REAL_KEY = "sk-ant-panic-REAL-0123456789";
    static Installation installation;
    static Terok terok;
    static PrivatePodman podman;
    static FakeInternet internet;
    static List<String> providerSaw;

    @BeforeAll
    static void up() throws Exception {
        installation = Installation.start("panic", FakeInternet.spec("tpa").addresses(2, 2), REAL_KEY, Installation::json);
        terok = installation.terok;
        podman = installation.podman;
        internet = installation.internet;
        providerSaw = installation.providerSaw;
    }

    @AfterAll
    static void down() {
        if (installation != null) {
            installation.close();
        }
    }

    boolean reaches(String url) {
        return terok.run("exec", "e2e-panic", "curl", "-sS", "-m", "3", "-o", "/dev/null", url).exitCode() == 0;
    }

    int broker(String token) throws Exception {
        String port = terok.env.get("TEROK_VAULT_BROKER_PORT");
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/v1/messages")).header("x-api-key", token).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    String podmanState(String name) {
        return Cmd.run("podman", "--url=unix://" + podman.socket, "inspect", "--format", "{{.State.Status}}", name).out().strip();
    }

    @Test
    void panicContainsEveryTaskAndHoldsUntilTheOperatorLiftsIt() throws Exception {
        String host = "http://" + internet.ip(2) + "/";
        terok.run("run", "-d", "--name", "e2e-panic", "--no-clearance", "--provider", "anthropic",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        terok.run("shield", "allow", "e2e-panic", internet.ip(2)).ok();
        terok.run("run", "-d", "--name", "e2e-panic-raw", "--no-shield", "--no-clearance",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        assertTrue(reaches(host), "allowed before the panic");
        String phantom = terok.run("exec", "e2e-panic", "printenv", "ANTHROPIC_API_KEY").ok().out().strip();
        String baseUrl = terok.run("exec", "e2e-panic", "printenv", "ANTHROPIC_BASE_URL").ok().out().strip();
        assertTrue(reaches(baseUrl + "/v1/messages"), "the broker answers the task");
        assertEquals(200, broker(phantom));
        assertTrue(providerSaw.contains(REAL_KEY));

        Terok.Result panic = terok.run("panic");

        assertEquals(0, panic.exitCode(), panic.out() + panic.err());
        assertTrue(panic.out().matches("(?s)PANIC since \\S+: no task is launched until `terok panic --clear`.*"), panic.out());
        assertTrue(panic.out().contains("e2e-panic (") && panic.out().contains("firewall blocked (nothing in or out)"), panic.out());
        assertTrue(panic.out().lines().anyMatch(l -> l.contains("e2e-panic-raw (") && l.contains("killed")
                && l.contains("unfiltered network")), panic.out());
        assertTrue(panic.out().contains("vault: locked and held"), panic.out());
        assertFalse(reaches(host), "the allowed host is cut off");
        assertFalse(reaches(baseUrl + "/v1/messages"), "so is the broker");
        assertEquals(503, broker(phantom), "and the phantom token is dead on the host side too");
        assertEquals("exited", podmanState("e2e-panic-raw"), "no firewall to block: killed");
        assertEquals("running", podmanState("e2e-panic"), "contained, kept for inspection");
        assertTrue(terok.run("ps").ok().err().contains("terok is in panic mode"), "ps says so");

        Terok.Result refused = terok.run("run", "--rm", "--network", "none", "localhost/terok-busybox:latest", "true");
        assertNotEquals(0, refused.exitCode());
        assertTrue(refused.err().contains("terok panic --clear"), refused.err());
        assertEquals(2, terok.run("ps", "-a", "-q").ok().out().lines().count(), "nothing launched");

        // The services restart (or an agent made one crash): the panic is still on, the vault still locked.
        terok.run("services", "down").ok();
        terok.run("services", "up").ok();
        assertTrue(terok.run("vault", "status").out().contains("locked and held since"), "held across the restart");
        assertEquals(503, broker(phantom));
        assertNotEquals(0, terok.run("run", "--rm", "--network", "none", "localhost/terok-busybox:latest", "true").exitCode());
        assertFalse(reaches(host), "the firewall stays blocked");
        assertTrue(terok.run("doctor").out().lines().anyMatch(l -> l.contains("panic mode") && l.contains("ERROR")));

        Terok.Result cleared = terok.run("panic", "--clear").ok();
        assertTrue(cleared.out().startsWith("panic cleared"), cleared.out());
        assertTrue(cleared.out().contains("e2e-panic (") && cleared.out().contains("`terok shield up e2e-panic`"), cleared.out());
        assertTrue(cleared.out().contains("vault: still held locked"), cleared.out());
        assertFalse(reaches(host), "clearing the panic opens nothing by itself");
        assertEquals(0, terok.run("run", "--rm", "--network", "none", "localhost/terok-busybox:latest", "true").exitCode());
        terok.run("vault", "unlock").ok();
        assertEquals(200, broker(phantom), "the operator unlocked the vault");
        terok.run("shield", "up", "e2e-panic").ok();
        assertTrue(reaches(host), "and reopened the firewall");

        // Without runtime-service the CLI still contains the tasks: it kills them through podman, and says what it
        // could not do.
        terok.run("services", "down").ok();
        Terok.Result alone = terok.run("panic");
        assertEquals(1, alone.exitCode(), alone.out() + alone.err());
        assertTrue(alone.err().contains("runtime-service did not carry out the panic"), alone.err());
        assertTrue(alone.out().contains("launches are NOT refused") && alone.out().contains("killed"), alone.out());
        assertTrue(alone.out().contains("vault: NOT held"), alone.out());
        assertEquals("exited", podmanState("e2e-panic"));
    }
}
