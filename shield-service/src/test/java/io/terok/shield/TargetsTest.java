package io.terok.shield;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.Ids;
import io.terok.common.ServiceException;
import io.terok.shield.policy.Target;
import io.terok.shield.policy.Targets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class TargetsTest {
    /** The call refuses with INVALID (INVALID_ARGUMENT to a gRPC caller); answers the refusal. */
    static ServiceException invalid(Executable call, String what) {
        ServiceException e = assertThrows(ServiceException.class, call, what);
        assertEquals(ServiceException.Kind.INVALID, e.kind(), e.getMessage());
        return e;
    }

    static ServiceException invalid(Executable call) {
        return invalid(call, "");
    }

    @Test
    void addressesAndNetworksAreCanonical() {
        assertEquals("198.18.0.1", Targets.parse("t", "198.18.0.1").canonical());
        assertEquals("198.18.0.0/15", Targets.parse("t", "198.19.3.4/15").canonical());
        assertEquals("2001:db8::1", Targets.parse("t", "2001:0DB8:0:0::1").canonical());
        assertEquals("2001:db8::/32", Targets.parse("t", "2001:db8:ffff::/32").canonical());
        assertEquals("::", Targets.parse("t", "::").canonical());
        assertEquals("fe80::", Targets.parse("t", "fe80::0").canonical());
        assertEquals("::ffff:c612:1", Targets.parse("t", "::ffff:198.18.0.1").canonical());
        assertEquals(Target.Kind.V6, Targets.parse("t", "::ffff:198.18.0.1").kind());
        assertTrue(Targets.parse("t", "10.0.0.0/8").contains(Targets.parse("t", "10.1.2.3")));
        assertFalse(Targets.parse("t", "10.1.2.3").contains(Targets.parse("t", "10.0.0.0/8")));
    }

    @Test
    void domainsAreLowercasedAndWildcardStripped() {
        Target d = Targets.parse("t", "*.GitHub.com");
        assertEquals(Target.Kind.DOMAIN, d.kind());
        assertEquals("github.com", d.canonical());
        assertEquals("name.test", Targets.parse("t", "name.test.").canonical());
    }

    @Test
    void injectionAndGarbageAreRefusedNamingTheFieldAndValue() {
        for (String bad : List.of("1.2.3.4; flush ruleset", "1.2.3.4 }", "1.2.3.4\nflush ruleset", "a.com;reboot",
                "example.com }", "{ 1.2.3.4 }", "1.2.3.256", "01.2.3.4", "1.2.3", "10.0.0.0/33", "10.0.0.0/-1",
                "::1/129", "1:2:3", "localhost", "host_name.com", "-rf.com", "a..com", "", " ", "@allow_v4",
                "$(id).com", "1.2.3.4/8/8", "x".repeat(300) + ".com", "com.123")) {
            ServiceException e = invalid(() -> Targets.parse("target", bad), bad);
            assertTrue(e.getMessage().startsWith("target: "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "control characters are escaped: " + e.getMessage());
        }
    }

    @Test
    void aHostNameWhereAnAddressBelongsIsRefused() {
        ServiceException e = invalid(() -> Targets.address("host_address", "example.com"));
        assertEquals("host_address: 'example.com' must be a single IP address", e.getMessage());
        invalid(() -> Targets.address("host_address", "10.0.0.0/8"));
    }

    @Test
    void idsPortsAndProfileNames() {
        invalid(() -> Ids.taskId("task_id", "../etc"));
        invalid(() -> Ids.taskId("task_id", "A".repeat(32)));
        assertEquals("0123456789abcdef0123456789abcdef", Ids.taskId("task_id", "0123456789abcdef0123456789abcdef"));
        invalid(() -> Targets.port("host_ports[0]", 0));
        invalid(() -> Targets.port("host_ports[0]", 65536));
    }

    @Test
    void minimalDropsContainedNetworks() {
        List<Target> m = Targets.minimal(List.of(Targets.parse("t", "198.18.0.5"), Targets.parse("t", "198.18.0.0/24"),
                Targets.parse("t", "198.18.0.0/24"), Targets.parse("t", "198.19.0.1"), Targets.parse("t", "x.test")));
        assertEquals(List.of("198.18.0.0/24", "198.19.0.1"), m.stream().map(Target::canonical).toList());
    }
}
