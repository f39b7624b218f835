package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivatePodman;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Root and a rootless user run terok on one host at once (issue 16, "Several users on one host"): neither sets a
 * port, so each user's broker and gate get ports of their own from the port registry (a private shared directory
 * here), recorded in each user's state directory. Each launches a FILTERED task with a phantom token and clones its
 * project through its own gate. Before the registry both bound 127.0.0.1:9420/9419 and the second `services up`
 * failed with "exited before it became healthy" and a stack trace in the log.
 */
class SeveralUsersEndToEndTest {
    static final String USER = System.getenv().getOrDefault("TEROK_TEST_USER", "terok-ci");
    static final String TEST_USER = Terok.REPO.resolve("bin/test-user").toString();
    static Path registry;
    static FakeInternet internet;
    static Installation root;
    static Installation rootless;

    /** One user's terok: its directories, its podman API service with the shield's hooks, its project. */
    record Installation(Terok terok, PrivatePodman podman) {
        Path recorded() {
            return terok.home.resolve("state/ports.properties");
        }
    }

    @BeforeAll
    static void up() throws Exception {
        Cmd.require(List.of("nft", "nsenter", "ip", "dnsmasq", "busybox"));
        registry = Path.of("/tmp", "terok-e2e-ports-" + ProcessHandle.current().pid());
        Terok.exec(List.of("rm", "-rf", registry.toString()), Map.of(), 30);
        Files.createDirectories(registry);
        Terok.exec(List.of("chmod", "1777", registry.toString()), Map.of(), 30).ok();
        internet = FakeInternet.spec("tsu").addresses(2, 6).start();
        root = install(null, "root-pass");
        rootless = install(USER, "rootless-pass");
    }

    static Installation install(String user, String passphrase) throws Exception {
        Terok t = new Terok(Terok.freshHome("users-" + (user == null ? "root" : "rootless"), user), user);
        // No port settings: the registry decides.
        t.env.remove("TEROK_GATE_HTTP_PORT");
        t.env.remove("TEROK_VAULT_BROKER_PORT");
        t.env.put("TEROK_PORT_REGISTRY_DIR", registry.toString());
        t.env.put("TEROK_DATA_DIR", t.home.resolve("data").toString());
        t.env.put("TEROK_SHIELD_UPSTREAM_DNS", internet.resolver());
        t.env.put("TEROK_SHIELD_HOOKS_REGISTRATION", t.home.resolve("containers.conf.d/terok-shield.conf").toString());
        List<String> as = user == null ? List.of() : List.of(TEST_USER);
        asUser(as, "mkdir", "-p", t.home.resolve("config").toString(), t.home.resolve("podman").toString());
        asUser(as, "sh", "-c", "printf '%s\\n' 'terok:' '  vault:' '    kernel-keyring: false'"
                + " '    passphrase-command: printf %s " + passphrase + "' '    providers:' '      anthropic:'"
                + " '        upstream: http://" + internet.ip(6) + "' > " + t.home.resolve("config/config.yaml"));
        PrivatePodman podman = new PrivatePodman(t.home.resolve("podman"), t.home.resolve("data/shield/hooks"), as);
        t.env.put("TEROK_PODMAN_SOCKET", podman.socket.toString());
        Installation i = new Installation(t, podman);
        t.run("services", "up").ok();
        hooks(t, true);
        t.runWithInput("sk-ant-" + passphrase + "-REAL", "vault", "add", "anthropic").ok();
        Path upstream = t.home.resolve("upstream.git");
        Path seed = t.home.resolve("seed");
        asUser(as, "git", "init", "-q", "--bare", "-b", "main", upstream.toString());
        asUser(as, "sh", "-c", "git init -q -b main " + seed + " && cd " + seed + " && echo hello > README"
                + " && git add README && git -c user.name=Op -c user.email=op@example.invalid commit -q -m init"
                + " && git push -q " + upstream + " main");
        t.run("gate", "create", "users-proj", "file://" + upstream).ok();
        return i;
    }

    /** The shield's OCI hooks, in this installation's private podman only (its containers.conf names them). */
    static void hooks(Terok t, boolean install) {
        io.grpc.ManagedChannel ch = io.terok.common.grpc.UnixChannels.open(t.runtimeDir().resolve("shield.sock"));
        try {
            var stub = io.terok.api.v1.ShieldServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS);
            if (install) {
                assertTrue(stub.installHooks(io.terok.api.v1.HooksRequest.getDefaultInstance()).getInstalled());
            } else {
                stub.uninstallHooks(io.terok.api.v1.HooksRequest.getDefaultInstance());
            }
        } finally {
            ch.shutdownNow();
        }
    }

    static void asUser(List<String> as, String... cmd) {
        List<String> all = new java.util.ArrayList<>(as);
        all.addAll(List.of(cmd));
        Terok.exec(all, Map.of(), 60).ok();
    }

    @AfterAll
    static void down() {
        for (Installation i : new Installation[] {rootless, root}) {
            if (i != null) {
                i.terok.run("rm", "-f", "users-task");
                try {
                    hooks(i.terok, false);
                } catch (RuntimeException e) {
                    // services not up
                }
                i.terok.run("services", "down");
                i.podman.close();
                i.terok.discard();
            }
        }
        if (internet != null) {
            internet.close();
        }
        Terok.exec(List.of("rm", "-rf", registry.toString()), Map.of(), 30);
    }

    record Wiring(int broker, int gate) {
    }

    /** Runs the filtered task of one user: a provider call through its broker and a clone from its gate. */
    static Wiring task(Installation i) {
        String script = String.join("\n",
                "set -e",
                "echo BROKER=$ANTHROPIC_BASE_URL",
                "echo GATE=$TEROK_GATE_URL",
                "curl -sS -m 10 -H \"x-api-key: $ANTHROPIC_API_KEY\" \"$ANTHROPIC_BASE_URL/index.html\"",
                "cd /tmp && git clone -q \"$TEROK_GATE_URL\" work && echo CLONED=$(cat work/README)",
                "curl -sS -m 3 -o /dev/null http://" + internet.ip(5) + "/ && echo ESCAPED || echo BLOCKED");
        Terok.Result r = i.terok.run("run", "--rm", "--name", "users-task", "--project", "users-proj", "--provider", "anthropic",
                "--no-clearance", "localhost/terok-agent:latest", "bash", "-c", script);
        assertEquals(0, r.exitCode(), "stdout: " + r.out() + "\nstderr: " + r.err());
        assertTrue(r.out().contains("hello from the fake internet"), "the provider answered through the broker: " + r.out());
        assertTrue(r.out().contains("CLONED=hello"), "cloned through the gate: " + r.out());
        assertTrue(r.out().contains("BLOCKED") && !r.out().contains("ESCAPED"), "the task is filtered: " + r.out());
        return new Wiring(port(r.out(), "BROKER=http://[^:]+:(\\d+)"), port(r.out(), "GATE=http://[^:]+:(\\d+)/"));
    }

    static int port(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        assertTrue(m.find(), regex + " in " + out);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void rootAndARootlessUserEachRunAFilteredTaskWithTokensAndAGateCloneAtOnce() throws IOException {
        Wiring r = task(root);
        Wiring u = task(rootless);
        assertNotEquals(r.broker(), u.broker(), "each user has a broker port of its own");
        assertNotEquals(r.gate(), u.gate(), "each user has a gate port of its own");
        for (var e : Map.of(root, r, rootless, u).entrySet()) {
            String recorded = Files.readString(e.getKey().recorded());
            assertTrue(recorded.contains("vault-broker=" + e.getValue().broker()) && recorded.contains("gate-http=" + e.getValue().gate()),
                    "the task got the recorded ports: " + recorded);
            assertTrue(e.getKey().terok.run("vault", "status").ok().out().contains("127.0.0.1:" + e.getValue().broker()));
        }
        assertTrue(Files.readString(registry.resolve(USER + ".ports")).contains("vault-broker=" + u.broker()),
                "the rootless user published its claims for the other users");

        // Both restart their services: the same ports come back (running tasks keep working URLs and firewall holes).
        rootless.terok.run("services", "down").ok();
        rootless.terok.run("services", "up").ok();
        assertEquals(u, task(rootless));
    }

    @Test
    void aTakenPortIsOneLineNamingThePortItsHolderAndTheSettingAndNothingStarts() throws Exception {
        Terok t = new Terok(Terok.freshHome("users-taken", null), null);
        t.env.put("TEROK_PORT_REGISTRY_DIR", registry.toString()); // the gate's port is claimed: never in the host's registry
        try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = held.getLocalPort();
            t.env.put("TEROK_VAULT_BROKER_PORT", Integer.toString(port));
            Terok.Result r = t.run("services", "up");
            assertEquals(1, r.exitCode(), r.out() + r.err());
            String first = r.err().lines().findFirst().orElse("");
            assertTrue(first.startsWith("terok: vault: vault-broker port 127.0.0.1:" + port + " is taken by pid "
                    + ProcessHandle.current().pid() + " (") && first.contains("java")
                    && first.endsWith("set terok.vault.broker-port (TEROK_VAULT_BROKER_PORT) to a free port, or stop that process"), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
            assertFalse(Files.exists(t.runtimeDir().resolve("pids/runtime.pid")), "nothing was started");

            // The service itself checks too (systemd starts it without the CLI): one line, exit 78, no stack trace.
            Terok.Result direct = Terok.exec(List.of("env", "TEROK_RUNTIME_DIR=" + t.runtimeDir(),
                    "TEROK_STATE_DIR=" + t.home.resolve("state"), "TEROK_CONFIG_DIR=" + t.home.resolve("config"),
                    "TEROK_DATA_DIR=" + t.home.resolve("data"), "TEROK_VAULT_BROKER_PORT=" + port,
                    Path.of(System.getProperty("java.home"), "bin/java").toString(), "-jar",
                    Terok.REPO.resolve("vault-service/target/quarkus-app/quarkus-run.jar").toString()), Map.of(), 60);
            assertEquals(78, direct.exitCode(), direct.out() + direct.err());
            assertTrue(direct.err().trim().startsWith("terok: vault-broker port 127.0.0.1:" + port + " is taken by pid "),
                    direct.err());
            assertEquals(1, direct.err().trim().lines().count(), direct.err());
        } finally {
            t.discard();
        }

        // A rootless user configured onto root's gate port: root's process is not this user's to read.
        int rootGate = Integer.parseInt(Files.readString(root.recorded()).lines()
                .filter(l -> l.startsWith("gate-http=")).findFirst().orElseThrow().substring("gate-http=".length()));
        Terok other = new Terok(Terok.freshHome("users-taken-rootless", USER), USER);
        other.env.put("TEROK_GATE_HTTP_PORT", Integer.toString(rootGate));
        other.env.put("TEROK_PORT_REGISTRY_DIR", registry.toString());
        try {
            Terok.Result r = other.run("services", "up");
            assertEquals(1, r.exitCode(), r.out() + r.err());
            assertTrue(r.err().startsWith("terok: gate: gate-http port 127.0.0.1:" + rootGate
                    + " is taken by another user's process; set terok.gate.http-port (TEROK_GATE_HTTP_PORT)"), r.err());
        } finally {
            other.discard();
        }
    }
}
