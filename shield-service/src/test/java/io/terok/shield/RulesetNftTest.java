package io.terok.shield;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.shield.policy.Mode;
import io.terok.shield.policy.Targets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generated text against the real nft, in a network namespace of its own. */
class RulesetNftTest {
    static final String NS = "tshn-" + TestShield.hex(4);

    @BeforeAll
    static void ns() {
        Sh.require(true, "nft", "ip");
        Sh.ok("ip", "netns", "add", NS);
    }

    @AfterAll
    static void cleanup() {
        Sh.run("ip", "netns", "del", NS);
    }

    static Sh.Out nft(String script) {
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", NS, "nft", "-f", "-");
        try {
            Process p = pb.start();
            p.getOutputStream().write(script.getBytes());
            p.getOutputStream().close();
            String err = new String(p.getErrorStream().readAllBytes());
            return new Sh.Out(p.waitFor(), "", err);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String list() {
        return Sh.ok("ip", "netns", "exec", NS, "nft", "list", "table", "inet", "terok_shield");
    }

    @Test
    void everyModeLoadsAndSwitchesKeepingTheSets() {
        for (Mode m : Mode.values()) {
            Sh.Out o = nft(RulesetGeneratorTest.GEN.full(RulesetGeneratorTest.policy(m)));
            assertEquals(0, o.code(), m + ": " + o.err());
        }
        Sh.Out o = nft(RulesetGeneratorTest.GEN.full(RulesetGeneratorTest.policy(Mode.UP)));
        assertEquals(0, o.code(), o.err());
        Sh.ok("ip", "netns", "exec", NS, "nft", "add", "element", "inet", "terok_shield", "learned_v4", "{ 198.51.100.7 }");
        for (Mode m : List.of(Mode.DOWN, Mode.BLOCKED, Mode.DOWN_ALL, Mode.UP)) {
            o = nft(RulesetGeneratorTest.GEN.modeSwitch(RulesetGeneratorTest.policy(m)));
            assertEquals(0, o.code(), m + ": " + o.err());
        }
        String l = list();
        assertTrue(l.contains("198.51.100.7"), "learned addresses survive mode switches:\n" + l);
        assertTrue(l.contains("@learned_p22_443_v4") && l.contains("th dport { 22, 443 }"), "profile ports loaded:\n" + l);
        assertEquals(0, nft(RulesetGeneratorTest.GEN.flushLearned(RulesetGeneratorTest.policy(Mode.UP))).code());
        assertFalse(list().contains("198.51.100.7"), "flushed");
        Sh.ok("ip", "netns", "exec", NS, "nft", "add", "element", "inet", "terok_shield", "learned_v4", "{ 198.51.100.7 }");
        assertTrue(l.contains("198.18.0.0/24") && l.contains("198.19.0.0/16"), l);
        // nft's canonical listing keeps deny before allow
        assertTrue(l.indexOf("@deny_v4") < l.indexOf("@allow_v4"), l);
        // set updates are one transaction and may be repeated
        var p = RulesetGeneratorTest.policy(Mode.UP).allowing(Targets.parse("t", "203.0.113.9"));
        assertEquals(0, nft(RulesetGeneratorTest.GEN.elements(p)).code());
        assertEquals(0, nft(RulesetGeneratorTest.GEN.elements(p)).code());
        assertTrue(list().contains("203.0.113.9"));
    }

    /**
     * A blocked TCP connect fails at once with ECONNREFUSED, also after 2000 blocked connects (the task's own
     * netns, a veth pair as its default route, nothing leaves it). With the ICMP reject of before, TCP got
     * "No route to host" and, once the kernel's ICMP rate limit bit, no answer at all (timeouts).
     */
    @Test
    void aBlockedTcpConnectIsRefusedAtOnceEvenUnderAFlood() throws Exception {
        Sh.require(true, "bash", "timeout");
        String ns = "tshr-" + TestShield.hex(4);
        Sh.ok("ip", "netns", "add", ns);
        try {
            Sh.ok("ip", "netns", "exec", ns, "sh", "-c", "ip link set lo up && ip link add d0 type veth peer name d1 && ip addr add 198.18.254.1/24 dev d0"
                    + " && ip link set d0 up && ip link set d1 up && ip route add default dev d0");
            ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns, "nft", "-f", "-");
            Process p = pb.start();
            p.getOutputStream().write(RulesetGeneratorTest.GEN.full(RulesetGeneratorTest.policy(Mode.UP)).getBytes());
            p.getOutputStream().close();
            assertEquals(0, p.waitFor(), new String(p.getErrorStream().readAllBytes()));
            // 2000 connects to 2000 destinations (addresses x ports), each bounded to 2 s; count how each failed
            String flood = "r=0; t=0; o=0; for a in $(seq 1 100); do for port in $(seq 1000 1019); do"
                    + " e=$(timeout 2 bash -c \"exec 3<>/dev/tcp/203.0.113.$a/$port\" 2>&1); c=$?;"
                    + " case $c:$e in *'Connection refused'*) r=$((r+1));; 124:*) t=$((t+1));; *) o=$((o+1)); echo \"$e\" >&2;; esac;"
                    + " done; done; echo refused=$r timedout=$t other=$o";
            long t0 = System.nanoTime();
            Sh.Out out = Sh.run("ip", "netns", "exec", ns, "bash", "-c", flood);
            long floodMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("refused=2000 timedout=0 other=0", out.out().strip(), out.err().lines().limit(3).toList() + " after " + floodMs + " ms");
            // and the next one after the flood, timed alone
            t0 = System.nanoTime();
            Sh.Out last = Sh.run("ip", "netns", "exec", ns, "bash", "-c", "exec 3<>/dev/tcp/203.0.113.250/443");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(last.code() != 0 && last.err().contains("Connection refused"), last.both());
            assertTrue(ms < 1000, "refused in " + ms + " ms");
            // UDP and the rest still get the ICMP answer
            String refuse = Sh.ok("ip", "netns", "exec", ns, "nft", "list", "chain", "inet", "terok_shield", "refuse");
            assertTrue(refuse.contains("meta l4proto tcp reject with tcp reset") && refuse.contains("reject with icmpx admin-prohibited"), refuse);
        } finally {
            Sh.run("ip", "netns", "del", ns);
        }
    }

    @Test
    void aBrokenScriptChangesNothing() {
        assertEquals(0, nft(RulesetGeneratorTest.GEN.full(RulesetGeneratorTest.policy(Mode.UP))).code());
        String before = list();
        Sh.Out o = nft("flush set inet terok_shield allow_v4\nadd element inet terok_shield allow_v4 { nonsense.invalid }\n");
        assertTrue(o.code() != 0);
        assertEquals(before, list(), "the transaction is atomic");
        assertTrue(Map.of().isEmpty());
    }
}
