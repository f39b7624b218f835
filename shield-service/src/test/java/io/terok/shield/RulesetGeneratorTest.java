package io.terok.shield;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.shield.policy.Mode;
import io.terok.shield.policy.Policy;
import io.terok.shield.policy.RulesetGenerator;
import io.terok.shield.policy.Target;
import io.terok.shield.policy.Targets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RulesetGeneratorTest {
    static final RulesetGenerator GEN = new RulesetGenerator(100, "30m");

    static Policy policy(Mode m) {
        return new Policy("0123456789abcdef0123456789abcdef", "t", List.of("p"), Targets.address("h", "10.0.2.2"),
                List.of(8080, 9090, 8080), Targets.address("d", "10.0.2.3"), m,
                List.of(Targets.parse("a", "198.18.0.1"), Targets.parse("a", "198.18.0.0/24"), Targets.parse("a", "2001:db8::1"),
                        Targets.parse("a", "name.test"), Targets.parse("a", "web.test"), Targets.parse("a", "live.test")),
                List.of(Targets.parse("d", "198.19.0.0/16")), List.of(), List.of(),
                java.util.Map.of("name.test", List.of(443, 22), "web.test", Policy.DEFAULT_PORTS));
    }

    @Test
    void profileDomainsOpenOnlyTheirPortsAndLiveOnesEveryPort() {
        Policy p = policy(Mode.UP);
        String r = GEN.full(p);
        assertTrue(r.contains("set learned_p22_443_v4 { type ipv4_addr; flags timeout; timeout 30m; }"), r);
        assertTrue(r.contains("set learned_p443_v6 { type ipv6_addr; flags timeout; timeout 30m; }"), r);
        assertTrue(r.contains("output ip daddr @learned_p22_443_v4 meta l4proto { tcp, udp } th dport { 22, 443 } accept"), r);
        assertTrue(r.contains("output ip6 daddr @learned_p443_v6 meta l4proto { tcp, udp } th dport { 443 } accept"), r);
        assertTrue(line(r, "10.0.0.0/8") < line(r, "@learned_p443_v4"), "after the private reject, like every learned set");
        String dns = new io.terok.shield.dns.TaskDnsForwarder(null, null, false).config(p, java.nio.file.Path.of("/x"));
        assertTrue(dns.contains("nftset=/name.test/4#inet#terok_shield#learned_p22_443_v4,6#inet#terok_shield#learned_p22_443_v6"), dns);
        assertTrue(dns.contains("nftset=/web.test/4#inet#terok_shield#learned_p443_v4,6#inet#terok_shield#learned_p443_v6"), dns);
        assertTrue(dns.contains("nftset=/live.test/4#inet#terok_shield#learned_v4,6#inet#terok_shield#learned_v6"), dns);
        // the operator's explicit allow of a profile name opens it on every port; a denied name loses its ports
        Policy allowed = p.allowing(Targets.parse("t", "web.test"));
        assertEquals(null, allowed.portsOf("web.test"));
        assertEquals(List.of(22, 443), p.denying(Targets.parse("t", "web.test")).portsOf("name.test"));
        assertEquals(null, p.denying(Targets.parse("t", "web.test")).portsOf("web.test"));
        assertTrue(GEN.flushLearned(p).contains("flush set inet terok_shield learned_p22_443_v6"));
    }

    static int line(String text, String needle) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(needle)) {
                return i;
            }
        }
        throw new AssertionError("no line with '" + needle + "' in\n" + text);
    }

    @Test
    void denyComesBeforeEstablishedAllowPrivateLearnedAndTheFinalReject() {
        String r = GEN.full(policy(Mode.UP));
        int deny = line(r, "output ip daddr @deny_v4");
        int est = line(r, "output ct state established,related accept");
        int dns = line(r, "ip daddr 10.0.2.3 udp dport 53 accept");
        int host = line(r, "ip daddr 10.0.2.2 tcp dport { 8080, 9090 } accept");
        int allow = line(r, "output ip daddr @allow_v4 accept");
        int priv = line(r, "10.0.0.0/8");
        int learned = line(r, "output ip daddr @learned_v4 accept");
        int fin = line(r, "add rule inet terok_shield output counter goto refuse_blocked");
        assertTrue(line(r, "oifname \"lo\" accept") < deny);
        assertTrue(deny < est && est < dns && dns < host && host < allow && allow < priv && priv < learned && learned < fin, r);
        assertEquals(line(r, "policy drop; }"), line(r, "chain output"));
        assertTrue(r.contains("chain input { type filter hook input priority filter; policy drop; }"));
    }

    @Test
    void everyRefusalResetsTcpAndAnswersTheRestWithIcmp() {
        for (Mode m : Mode.values()) {
            String r = GEN.full(policy(m));
            assertTrue(r.contains("  chain refuse { }\n"), r);
            int tcp = line(r, "add rule inet terok_shield refuse meta l4proto tcp reject with tcp reset");
            assertTrue(tcp < line(r, "add rule inet terok_shield refuse reject with icmpx admin-prohibited"), r);
            assertFalse(r.lines().anyMatch(l -> l.contains(" output ") && l.contains("reject")), "outputs only goto refuse:\n" + r);
            // a mode switch (also of a container started before the chain existed) creates and refills it
            String sw = GEN.modeSwitch(policy(m));
            assertTrue(line(sw, "add chain inet terok_shield refuse") < line(sw, "flush chain inet terok_shield refuse"), sw);
            assertTrue(line(sw, "flush chain inet terok_shield refuse") < line(sw, "refuse meta l4proto tcp reject with tcp reset"), sw);
        }
    }

    /**
     * Every refusal (explicit deny, relayed, private, blocked) passes one limit of the task's own table before it is
     * logged and answered; past it the packet is dropped (still refused, never accepted), unlogged and counted.
     */
    @Test
    void everyRefusalPassesTheTasksFloodLimitBeforeItIsLogged() {
        for (Mode m : List.of(Mode.UP, Mode.DOWN, Mode.DOWN_ALL)) {
            String r = GEN.full(relaying("api.provider.test").withMode(m));
            assertTrue(r.contains("  limit refusals { rate over 20/second burst 50 packets }\n"), r);
            assertTrue(r.contains("  counter flood_dropped { }\n"), r);
            for (String kind : List.of("denied", "private", "blocked")) {
                String chain = "add rule inet terok_shield refuse_" + kind + " ";
                int limit = line(r, chain + "limit name \"refusals\" counter name \"flood_dropped\" drop");
                int log = line(r, chain + "log prefix \"TEROK_SHIELD_" + kind.toUpperCase() + ": \" group "
                        + (kind.equals("denied") ? 101 : 100) + " queue-threshold 1 goto refuse");
                assertTrue(limit < log, r);
            }
            // no output rule logs a refusal itself (it would log past the limit) or ends in anything but a refusal chain
            List<String> refusing = r.lines().filter(l -> l.contains(" output ") && l.contains("goto")).toList();
            assertTrue(refusing.stream().allMatch(l -> l.matches(".* counter goto refuse_(denied|private|blocked)")), r);
            assertFalse(r.lines().anyMatch(l -> l.contains(" output ") && l.contains("log prefix \"TEROK_SHIELD_"
                    + "DENIED")), r);
            assertTrue(refusing.size() >= (m == Mode.DOWN_ALL ? 4 : 8), refusing.toString());
            // a mode switch (also in a container started before the limit existed) creates the limit, the counter
            // and the chains, and refills the chains
            String sw = GEN.modeSwitch(relaying("api.provider.test").withMode(m));
            assertTrue(line(sw, "add limit inet terok_shield refusals { rate over 20/second burst 50 packets }")
                    < line(sw, "limit name \"refusals\""), sw);
            assertTrue(line(sw, "add counter inet terok_shield flood_dropped") < line(sw, "counter name \"flood_dropped\""), sw);
            assertTrue(line(sw, "add chain inet terok_shield refuse_blocked") < line(sw, "flush chain inet terok_shield refuse_blocked"), sw);
            assertTrue(line(sw, "flush chain inet terok_shield refuse_blocked") < line(sw, "add rule inet terok_shield refuse_blocked"), sw);
        }
    }

    @Test
    void setsAreFilledMinimallyAndDomainsNeverReachNft() {
        String e = GEN.elements(policy(Mode.UP));
        assertTrue(e.contains("add element inet terok_shield allow_v4 { 198.18.0.0/24 }"), e);
        assertTrue(e.contains("add element inet terok_shield allow_v6 { 2001:db8::1 }"), e);
        assertTrue(e.contains("add element inet terok_shield deny_v4 { 198.19.0.0/16 }"), e);
        assertFalse(GEN.full(policy(Mode.UP)).contains("name.test"));
        assertTrue(e.indexOf("flush set inet terok_shield allow_v4") < e.indexOf("add element"));
    }

    @Test
    void downKeepsDenyAndPrivateRejectsUnlessAll() {
        String down = GEN.full(policy(Mode.DOWN));
        assertTrue(down.contains("policy accept"));
        assertTrue(down.contains("@deny_v4"));
        assertTrue(down.contains("goto refuse_private"));
        assertTrue(down.contains("ct state new counter log prefix \"TEROK_SHIELD_BYPASS: \" group 101 queue-threshold 1 accept"));
        assertFalse(down.contains("goto refuse_blocked"));
        String all = GEN.full(policy(Mode.DOWN_ALL));
        assertFalse(all.contains("goto refuse_private"));
        assertTrue(all.contains("@deny_v4"));
    }

    @Test
    void blockDropsEverythingButLoopback() {
        String b = GEN.modeSwitch(policy(Mode.BLOCKED));
        assertTrue(b.contains("chain inet terok_shield output { policy drop; }"));
        assertFalse(b.contains("established"));
        assertFalse(b.contains("dport 53"));
        assertTrue(b.contains("add rule inet terok_shield input counter drop"));
    }

    @Test
    void allowLiftsAnIdenticalDenyButNotACoveringOne() {
        Policy p = policy(Mode.UP).allowing(Targets.parse("t", "198.19.0.0/16"));
        assertTrue(p.deny().isEmpty());
        Policy q = policy(Mode.UP).allowing(Targets.parse("t", "198.19.1.1"));
        assertEquals(List.of("198.19.0.0/16"), q.denyCovering(Targets.parse("t", "198.19.1.1")).stream().map(Target::canonical).toList());
    }

    static Policy relaying(String... hosts) {
        Policy p = policy(Mode.UP);
        return new Policy(p.taskId(), p.containerName(), p.profiles(), p.hostAddress(), p.hostPorts(), p.upstreamDns(),
                p.mode(), p.allow(), p.deny(), java.util.Arrays.stream(hosts).map(h -> Targets.parse("r", h)).toList());
    }

    @Test
    void relayedHostsAreDeniedInEveryModeButQuarantineAndNoAllowLiftsThem() {
        Policy p = relaying("198.18.7.7", "api.provider.test").allowing(Targets.parse("t", "198.18.7.7"));
        assertEquals(List.of("198.18.7.7"), p.relayed().stream().filter(Target::isAddress).map(Target::canonical).toList(),
                "an allow does not lift a relayed address");
        assertTrue(p.denied(Target.Kind.V4).contains(Targets.parse("t", "198.18.7.7")), "it stays in the deny set");
        for (Mode m : List.of(Mode.UP, Mode.DOWN, Mode.DOWN_ALL)) {
            String rules = GEN.full(p.withMode(m));
            int relayedRule = line(rules, "ip daddr @relayed_v4 counter goto refuse_denied");
            assertTrue(relayedRule > 0, m + ": the relayed names' addresses are rejected\n" + rules);
            assertTrue(relayedRule < line(rules, "ct state established,related accept"), m + ": before any accept");
            assertTrue(relayedRule < line(rules, "@allow_v4 accept"), m.name());
        }
        // without relayed names a ruleset never names the sets in a rule (an older container's table lacks them)
        assertFalse(GEN.full(policy(Mode.UP)).contains("daddr @relayed_v4"));
    }
}
