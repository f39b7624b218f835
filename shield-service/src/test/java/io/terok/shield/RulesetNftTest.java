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
