package io.terok.common.ports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortRegistryTest {
    @TempDir
    Path dir;

    private PortRegistry registry(String user) {
        return new PortRegistry(dir.resolve(user).resolve("state/ports.properties"), dir.resolve("shared"), user);
    }

    @Test
    void aClaimIsKeptAcrossRestartsAndTwoUsersNeverShareAPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int preferred = s.getLocalPort() + 1; // some port; whether free or not, the answers below must differ
            int alice = registry("alice").claim("vault-broker", preferred);
            assertEquals(alice, registry("alice").claim("vault-broker", preferred), "a restart keeps the port");
            assertEquals(alice, registry("alice").recorded("vault-broker"));
            int bob = registry("bob").claim("vault-broker", preferred);
            assertNotEquals(alice, bob, "bob must not get the port alice claimed, even while alice's services are down");
            int aliceGate = registry("alice").claim("gate-http", alice);
            assertNotEquals(alice, aliceGate, "one user's listeners get different ports");
            assertNotEquals(bob, aliceGate);
            assertTrue(Files.readString(dir.resolve("shared/alice.ports")).contains("gate-http=" + aliceGate));
        }
    }

    @Test
    void aReleasedPortIsForgottenAndFreeForAnotherUser() throws IOException {
        int alice = registry("alice").claim("vault-broker", 0);
        int aliceGate = registry("alice").claim("gate-http", 0);
        assertNotEquals(alice, registry("bob").claim("vault-broker", alice), "claimed by alice: bob gets another");
        assertTrue(registry("alice").release("vault-broker"));
        assertEquals(0, registry("alice").recorded("vault-broker"));
        assertEquals(aliceGate, registry("alice").recorded("gate-http"), "the other listener keeps its port");
        assertFalse(Files.readString(dir.resolve("shared/alice.ports")).contains("vault-broker="), "no longer published");
        assertEquals(alice, registry("carol").claim("vault-broker", alice), "another user may have it now");
        assertFalse(registry("alice").release("vault-broker"), "nothing to release twice");
        assertFalse(registry("nobody").release("vault-broker"), "no record at all");
    }

    @Test
    void theHolderOfAPortIsThisProcessAndDescendsFromItsAncestors() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            long me = ProcessHandle.current().pid();
            assertEquals(Optional.of(me), PortHolder.host().pid(s.getLocalPort()));
            long parent = ProcessHandle.current().parent().orElseThrow().pid();
            assertTrue(PortHolder.host().descendsFrom(me, parent), "this JVM runs below its parent");
            assertTrue(PortHolder.host().descendsFrom(me, me));
            assertFalse(PortHolder.host().descendsFrom(parent, me), "not the other way round");
        }
    }

    @Test
    void aPortSomeoneListensOnIsNotHandedOut() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = registry("carol").claim("gate-http", s.getLocalPort());
            assertNotEquals(s.getLocalPort(), port);
            assertTrue(port >= PortRegistry.RANGE_START && port <= PortRegistry.RANGE_END, "fell back to the range: " + port);
        }
    }

    @Test
    void aTakenConfiguredPortNamesThePortItsHolderAndTheSetting() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = s.getLocalPort();
            LoopbackListener l = LoopbackListener.VAULT_BROKER;
            PortTakenException e = assertThrows(PortTakenException.class, () -> l.resolve(
                    l.configured(Map.of("TEROK_VAULT_BROKER_PORT", Integer.toString(port)), k -> Optional.empty()),
                    registry("dave"), PortHolder.host()));
            String m = e.getMessage();
            assertTrue(m.contains("127.0.0.1:" + port) && m.contains("pid " + ProcessHandle.current().pid() + " (")
                    && m.contains("terok.vault.broker-port (TEROK_VAULT_BROKER_PORT)") && !m.contains("\n"), m);
        }
    }

    @Test
    void aRecordedPortTakenSinceSaysWhereItIsRecorded() throws IOException {
        PortRegistry r = registry("erin");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Files.createDirectories(r.record().getParent());
        Files.writeString(r.record(), "gate-http=" + port + "\n");
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            PortTakenException e = assertThrows(PortTakenException.class,
                    () -> LoopbackListener.GATE_HTTP.resolve(Optional.empty(), r, PortHolder.host()));
            assertTrue(e.getMessage().contains(r.record().toString()) && e.getMessage().contains("terok.gate.http-port"),
                    e.getMessage());
        }
    }

    @Test
    void aSettingThatIsNoPortNamesTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoopbackListener.GATE_HTTP.resolve(
                Optional.of("94x9"), registry("frank"), PortHolder.host()));
        assertTrue(e.getMessage().startsWith("terok.gate.http-port (TEROK_GATE_HTTP_PORT) must be a TCP port"), e.getMessage());
    }

    @Test
    void anotherUsersClaimFilesAreBounded() throws IOException {
        Files.createDirectories(dir.resolve("shared"));
        Files.writeString(dir.resolve("shared/mallory.ports"), "x=" + "9".repeat(20) + "\ny=not-a-port\nz=20000\n");
        Files.writeString(dir.resolve("shared/huge.ports"), "a=20001\n" + "#".repeat(20_000));
        assertEquals(java.util.Set.of(20000), registry("gina").othersClaims());
    }

    @Test
    void aStateDirectoryThatCannotBeWrittenFallsBackToTheDefault() throws IOException {
        // A Quadlet unit's container has a read-only root: the record cannot be written, the default port is used.
        Path blocker = dir.resolve("not-a-dir");
        Files.writeString(blocker, "");
        PortRegistry r = new PortRegistry(blocker.resolve("state/ports.properties"), dir.resolve("shared"), "hank");
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = probe.getLocalPort();
        }
        assertEquals(free, new LoopbackListener("x", "terok.x.port", free).resolve(Optional.empty(), r, PortHolder.host()));
    }
}
