package io.terok.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.cli.core.CliException;
import io.terok.common.ports.LoopbackListener;
import io.terok.common.ports.PortHolder;
import io.terok.common.ports.PortRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Quadlet deployment's listener ports: decided per user in the port registry embedded mode uses (two users never
 * share one), kept by a second setup, a config.yaml setting first, released at uninstall; and doctor's line for each
 * with a real listening socket (this JVM's) as the process that holds it.
 */
class QuadletPortsTest {
    @TempDir
    Path tmp;

    private QuadletPorts ports(String user, Map<String, String> settings) {
        return new QuadletPorts(new PortRegistry(tmp.resolve(user).resolve("ports.properties"), tmp.resolve("shared"), user),
                key -> Optional.ofNullable(settings.get(key)), PortHolder.host());
    }

    @Test
    void eachUserGetsPortsOfItsOwnKeptAcrossSetupsAndReleasedAtUninstall() {
        QuadletPorts alice = ports("alice", Map.of());
        Map<LoopbackListener, Integer> first = alice.decide();
        assertEquals(List.of(LoopbackListener.VAULT_BROKER, LoopbackListener.GATE_HTTP, LoopbackListener.CONSOLE), List.copyOf(first.keySet()));
        assertEquals(3, new HashSet<>(first.values()).size(), "three listeners, three ports: " + first);
        assertTrue(alice.allDecided());
        assertEquals(first, ports("alice", Map.of()).decide(), "a second setup keeps them");
        assertEquals(first, ports("alice", Map.of()).decided(), "doctor reads what setup wrote");

        Map<LoopbackListener, Integer> bob = ports("bob", Map.of()).decide();
        Set<Integer> shared = new HashSet<>(first.values());
        shared.retainAll(bob.values());
        assertEquals(Set.of(), shared, "bob's installation never meets alice's ports");

        assertEquals(List.of("vault-broker", "gate-http", "console"), alice.release());
        assertEquals(0, ports("alice", Map.of()).decided().get(LoopbackListener.VAULT_BROKER), "released");
        assertEquals(List.of(), alice.release(), "nothing left to release");
    }

    @Test
    void aSettingInConfigYamlWinsOverTheRegistry() {
        QuadletPorts carol = ports("carol", Map.of("terok.vault.broker-port", "24567"));
        assertEquals(24567, carol.decide().get(LoopbackListener.VAULT_BROKER));
        assertEquals(24567, carol.decided().get(LoopbackListener.VAULT_BROKER));
        CliException bad = assertThrows(CliException.class, () -> ports("carol", Map.of("terok.gate.http-port", "94x9")).decide());
        assertTrue(bad.getMessage().contains("terok.gate.http-port (TEROK_GATE_HTTP_PORT) must be a TCP port 1-65535, not '94x9'"), bad.getMessage());
        assertEquals(0, ports("frank", Map.of("terok.console.port", "0")).decided().get(LoopbackListener.VAULT_BROKER));
        assertThrows(CliException.class, () -> ports("frank", Map.of("terok.console.port", "0")).decide());
        assertEquals(0, ports("frank", Map.of()).decided().get(LoopbackListener.VAULT_BROKER), "a bad setting claims nothing");
    }

    @Test
    void doctorNamesATakenPortItsHolderAndTheSettingAndKnowsTheInstallationsOwnListener() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = s.getLocalPort();
            QuadletPorts dave = ports("dave", Map.of("terok.vault.broker-port", Integer.toString(port)));
            dave.decide();
            Path config = tmp.resolve("config.yaml");
            long me = ProcessHandle.current().pid();

            Check taken = dave.checks("--user", config, container -> 0L).get(0);
            assertEquals(Check.Severity.ERROR, taken.severity(), taken.line());
            assertTrue(taken.line().contains("vault-broker port") && taken.line().contains("127.0.0.1:" + port
                    + " (TEROK_VAULT_BROKER_PORT in terok-vault.container) is taken by pid " + me + " (")
                    && taken.line().contains("set terok.vault.broker-port in " + config + " to a free port and run `terok setup --user` again"),
                    taken.line());

            // The holder runs below the vault's container (here: this JVM below its parent): the installation's own.
            long parent = ProcessHandle.current().parent().orElseThrow().pid();
            Check own = dave.checks("--user", config, container -> container.equals("terok-vault") ? parent : 0L).get(0);
            assertEquals(Check.Severity.OK, own.severity(), own.line());
            assertTrue(own.line().contains("terok-vault listens"), own.line());

            List<Check> rest = dave.checks("--user", config, container -> 0L).subList(1, 3);
            rest.forEach(c -> assertEquals(Check.Severity.OK, c.severity(), c.line()));
            assertTrue(rest.get(0).line().contains("(TEROK_GATE_HTTP_PORT in terok-gate.container), free"), rest.get(0).line());
        }
        Check none = ports("erin", Map.of()).checks("--user", tmp.resolve("config.yaml"), c -> 0L).get(0);
        assertEquals(Check.Severity.ERROR, none.severity());
        assertTrue(none.line().contains("no port recorded for terok-vault.container") && none.line().contains("run `terok setup --user`"), none.line());
    }
}
