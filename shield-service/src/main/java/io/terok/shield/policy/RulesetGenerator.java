package io.terok.shield.policy;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Generates the nft text of a task's table {@code inet terok_shield}. Pure: no I/O, no names resolved; the only
 * variable text comes from validated {@link Target}s, ports and the fixed set of constants below.
 *
 * <p>Output chain order (UP): loopback, DENY sets (deny beats everything, even established connections), established,
 * DNS to the task's upstream resolver only, the task's host ports, the task's host loopback, link-local and metadata
 * addresses rejected (no allow opens them; not in DOWN_ALL), single ports allowed by a verdict
 * ({@code address . protocol . port}), explicit ALLOW sets (may open other private ranges), private ranges rejected, addresses LEARNED by the task's DNS forwarder (after the private reject, so a
 * DNS answer cannot open a private address), then a counted, logged reject of everything else. Every refusal
 * passes the task's flood limit ({@link #FLOOD_RATE}) before it is logged and answered.
 */
public final class RulesetGenerator {
    public static final String TABLE = "inet terok_shield";
    public static final List<String> PRIVATE_V4 = List.of("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
            "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16");
    public static final List<String> PRIVATE_V6 = List.of("::1", "::ffff:0:0/96", "fc00::/7", "fe80::/10");
    public static final String PREFIX_BLOCKED = "TEROK_SHIELD_BLOCKED: ";
    public static final String PREFIX_DENIED = "TEROK_SHIELD_DENIED: ";
    public static final String PREFIX_PRIVATE = "TEROK_SHIELD_PRIVATE: ";
    public static final String PREFIX_BYPASS = "TEROK_SHIELD_BYPASS: ";
    public static final String PREFIX_QUARANTINE = "TEROK_SHIELD_QUARANTINE: ";
    public static final String PREFIX_PASSED = "TEROK_SHIELD_PASSED: ";
    /**
     * Every refusal ends in the chain {@value #REFUSE} (through its kind's chain and the flood limit): TCP is
     * answered with a reset, anything else with ICMP admin-prohibited. A reset is not rate-limited (the kernel's ICMP unreachables are: under a flood of blocked
     * connects about a fifth timed out instead of failing at once), so a blocked connect fails with ECONNREFUSED
     * immediately, however many came before it.
     */
    public static final String REFUSE = "refuse";
    private static final String REJECT = "goto " + REFUSE;
    /**
     * The task's refusals share one token bucket (a named limit: one state per table, so per task): up to
     * {@value #FLOOD_BURST} at once and {@value #FLOOD_RATE} a second after that are logged and answered (a reset);
     * past it a refused packet is <b>dropped</b>, unlogged, and counted in {@value #FLOOD_COUNTER}. Nothing over the
     * limit is let through: the limit only chooses between two ways of refusing.
     *
     * <p>Why: each refusal answered at once lets a flooding task's {@code connect()} loop at full speed (measured:
     * 40,000 refused connects a second from one loop, each one logged, so a line for shield's NFLOG reader). A
     * dropped SYN makes the flooder's connect wait for its retransmit instead (then 23 a second). Why these numbers:
     * a well-behaved task's blocked attempts come in small bursts (a package manager's parallel fetches to a blocked
     * host, each retried, twice for IPv4 and IPv6: a few dozen), and those must fail at once so an agent does not
     * hang on a blocked host; past that shield's events fold repeats anyway (at most 8 ports per address per window),
     * so 20 a second still shows every new destination the operator could allow.
     */
    public static final int FLOOD_RATE = 20;
    public static final int FLOOD_BURST = 50;
    public static final String FLOOD_LIMIT = "refusals";
    public static final String FLOOD_COUNTER = "flood_dropped";
    /** The three ways a packet is refused, each a chain: past the task's flood limit drop, else log and refuse. */
    private static final List<String> REFUSAL_PREFIXES = List.of(PREFIX_DENIED, PREFIX_PRIVATE, PREFIX_BLOCKED);

    private final int logGroup;
    private final String learnedTimeout;

    public RulesetGenerator(int logGroup, String learnedTimeout) {
        if (logGroup < 0 || logGroup > 65533) {
            throw new IllegalArgumentException("log group " + logGroup);
        }
        if (!learnedTimeout.matches("[1-9][0-9]{0,5}[smhd]")) {
            throw new IllegalArgumentException("learned timeout '" + learnedTimeout + "' (e.g. 30m)");
        }
        this.logGroup = logGroup;
        this.learnedTimeout = learnedTimeout;
    }

    public int logGroup() {
        return logGroup;
    }

    /** The NFLOG group of the first packet through after an Allow with a port (group + 2). */
    public static int passedGroup(int logGroup) {
        return logGroup + 2;
    }

    /** The file the OCI hook loads with {@code nft -f}: replaces any existing table, then fills the sets. */
    public String full(Policy p) {
        StringBuilder sb = new StringBuilder();
        sb.append("# terok shield ruleset for task ").append(p.taskId()).append(" (generated; mode ")
                .append(p.mode()).append(")\n");
        // create-then-delete makes the load idempotent whether or not the table exists
        sb.append("table ").append(TABLE).append("\n");
        sb.append("delete table ").append(TABLE).append("\n");
        sb.append("table ").append(TABLE).append(" {\n");
        sb.append("  set allow_v4 { type ipv4_addr; flags interval; }\n");
        sb.append("  set allow_v6 { type ipv6_addr; flags interval; }\n");
        sb.append("  set deny_v4 { type ipv4_addr; flags interval; }\n");
        sb.append("  set deny_v6 { type ipv6_addr; flags interval; }\n");
        sb.append(portSets(false));
        sb.append("  set learned_v4 { type ipv4_addr; flags timeout; timeout ").append(learnedTimeout).append("; }\n");
        sb.append("  set learned_v6 { type ipv6_addr; flags timeout; timeout ").append(learnedTimeout).append("; }\n");
        sb.append(portGroupSets(p, false));
        // What the relayed names resolve to (dnsmasq fills them); never flushed by live changes, never timed out
        sb.append("  set relayed_v4 { type ipv4_addr; }\n");
        sb.append("  set relayed_v6 { type ipv6_addr; }\n");
        sb.append("  chain output { type filter hook output priority filter; policy ").append(outputPolicy(p.mode())).append("; }\n");
        sb.append("  chain input { type filter hook input priority filter; policy drop; }\n");
        sb.append("  chain ").append(REFUSE).append(" { }\n");
        sb.append("  limit ").append(FLOOD_LIMIT).append(" { ").append(floodRate()).append(" }\n");
        sb.append("  counter ").append(FLOOD_COUNTER).append(" { }\n");
        for (String prefix : REFUSAL_PREFIXES) {
            sb.append("  chain ").append(refusalChain(prefix)).append(" { }\n");
        }
        sb.append("}\n");
        sb.append(rules(p));
        sb.append(elements(p));
        return sb.toString();
    }

    /**
     * The learned sets of the profile domains' port groups: a name whose profile names ports opens only those (443
     * when it names none), so its addresses go to a set of their own that is accepted on those ports only.
     * A name allowed live is in {@code learned_v4/v6}, accepted on every port.
     */
    public static String learnedSet(List<Integer> ports, String family) {
        return "learned_p" + ports.stream().map(String::valueOf).collect(Collectors.joining("_")) + "_" + family;
    }

    private String portGroupSets(Policy p, boolean live) {
        StringBuilder sb = new StringBuilder();
        for (List<Integer> g : p.portGroups()) {
            for (String fam : List.of("v4", "v6")) {
                sb.append(live ? "add set " + TABLE + " " : "  set ").append(learnedSet(g, fam)).append(" { type ")
                        .append(fam.equals("v4") ? "ipv4_addr" : "ipv6_addr").append("; flags timeout; timeout ")
                        .append(learnedTimeout).append("; }\n");
            }
        }
        return sb.toString();
    }

    /** Switches the chains to the policy's mode in one transaction, keeping the sets (and learned addresses). */
    public String modeSwitch(Policy p) {
        // the port sets are created when missing: a container started by an older version has none
        // the refuse chain too (older containers have none); flushed here and refilled by rules()
        // and the flood limit, its counter and the refusal chains (older containers have none; an existing limit
        // object is kept as it is by "add", so a counter or bucket already running is not reset)
        StringBuilder sb = new StringBuilder(portSets(true) + portGroupSets(p, true));
        sb.append("add chain ").append(TABLE).append(' ').append(REFUSE).append('\n');
        sb.append("add limit ").append(TABLE).append(' ').append(FLOOD_LIMIT).append(" { ").append(floodRate()).append(" }\n");
        sb.append("add counter ").append(TABLE).append(' ').append(FLOOD_COUNTER).append('\n');
        for (String prefix : REFUSAL_PREFIXES) {
            sb.append("add chain ").append(TABLE).append(' ').append(refusalChain(prefix)).append('\n');
        }
        for (String chain : List.of("output", "input", REFUSE)) {
            sb.append("flush chain ").append(TABLE).append(' ').append(chain).append('\n');
        }
        for (String prefix : REFUSAL_PREFIXES) {
            sb.append("flush chain ").append(TABLE).append(' ').append(refusalChain(prefix)).append('\n');
        }
        return sb + "chain " + TABLE + " output { policy " + outputPolicy(p.mode()) + "; }\n" + rules(p);
    }

    private static String floodRate() {
        return "rate over " + FLOOD_RATE + "/second burst " + FLOOD_BURST + " packets";
    }

    /** {@code refuse_denied}, {@code refuse_private}, {@code refuse_blocked}. */
    private static String refusalChain(String prefix) {
        return REFUSE + "_" + prefix.substring("TEROK_SHIELD_".length(), prefix.length() - 2).toLowerCase(java.util.Locale.ROOT);
    }

    /** A refusal of the given kind: counted by the calling rule, then the flood limit, the log and the answer. */
    private static String refused(String prefix) {
        return "counter goto " + refusalChain(prefix);
    }

    /** Replaces the allow and deny sets' content in one transaction (learned sets untouched). */
    public String elements(Policy p) {
        StringBuilder sb = new StringBuilder(portSets(true));
        for (String set : List.of("allow_v4", "allow_v6", "deny_v4", "deny_v6", "allow_port_v4", "allow_port_v6")) {
            sb.append("flush set ").append(TABLE).append(' ').append(set).append('\n');
        }
        for (Target.Kind k : List.of(Target.Kind.V4, Target.Kind.V6)) {
            List<PortTarget> ports = p.allowedPorts(k);
            if (!ports.isEmpty()) {
                sb.append("add element ").append(TABLE).append(" allow_port_").append(k == Target.Kind.V4 ? "v4" : "v6")
                        .append(" { ").append(ports.stream().map(PortTarget::element).collect(Collectors.joining(", ")))
                        .append(" }\n");
            }
        }
        add(sb, "allow_v4", p.allowed(Target.Kind.V4));
        add(sb, "allow_v6", p.allowed(Target.Kind.V6));
        add(sb, "deny_v4", p.denied(Target.Kind.V4));
        add(sb, "deny_v6", p.denied(Target.Kind.V6));
        return sb.toString();
    }

    /**
     * The sets of single allowed ports, and their one-shot twins {@code first_port_v4/v6}: declared in the table, or
     * (live) added when missing. An Allow with a port puts its element into both; the first packet of the task to it
     * is logged (the "first packet through" after a verdict) and deletes the element on the packet path, so only
     * that one packet is ever logged.
     */
    private static String portSets(boolean live) {
        String pre = live ? "add set " + TABLE + " " : "  set ";
        return pre + "allow_port_v4 { type ipv4_addr . inet_proto . inet_service; }\n"
                + pre + "allow_port_v6 { type ipv6_addr . inet_proto . inet_service; }\n"
                + pre + "first_port_v4 { type ipv4_addr . inet_proto . inet_service; flags dynamic; }\n"
                + pre + "first_port_v6 { type ipv6_addr . inet_proto . inet_service; flags dynamic; }\n";
    }

    /** Arms the one-shot log of the first packet the task sends to {@code pt} (after an Allow with a port). */
    public String firstPacket(PortTarget pt) {
        return portSets(true) + "add element " + TABLE + " first_port_" + (pt.address().kind() == Target.Kind.V4 ? "v4" : "v6")
                + " { " + pt.element() + " }\n";
    }

    /** Forgets every address the DNS forwarder learned. */
    public String flushLearned(Policy p) {
        StringBuilder sb = new StringBuilder(portGroupSets(p, true));
        sb.append("flush set ").append(TABLE).append(" learned_v4\nflush set ").append(TABLE).append(" learned_v6\n");
        for (List<Integer> g : p.portGroups()) {
            sb.append("flush set ").append(TABLE).append(' ').append(learnedSet(g, "v4")).append('\n');
            sb.append("flush set ").append(TABLE).append(' ').append(learnedSet(g, "v6")).append('\n');
        }
        return sb.toString();
    }

    private static void add(StringBuilder sb, String set, List<Target> targets) {
        List<Target> min = Targets.minimal(targets);
        if (!min.isEmpty()) {
            sb.append("add element ").append(TABLE).append(' ').append(set).append(" { ")
                    .append(min.stream().map(Target::canonical).collect(Collectors.joining(", "))).append(" }\n");
        }
    }

    private static String join(List<Target> targets, Target.Kind kind) {
        return targets.stream().filter(t -> t.kind() == kind).map(Target::canonical).collect(Collectors.joining(", "));
    }

    private static String outputPolicy(Mode m) {
        return m == Mode.DOWN || m == Mode.DOWN_ALL ? "accept" : "drop";
    }

    /**
     * Blocked and private rejects go to the events group; explicit denies and bypass logging to the next one; the
     * first packet through after an Allow with a port to the one after that.
     */
    private String log(String prefix) {
        int g = prefix.equals(PREFIX_BLOCKED) || prefix.equals(PREFIX_PRIVATE) ? logGroup
                : prefix.equals(PREFIX_PASSED) ? passedGroup(logGroup) : logGroup + 1;
        // queue-threshold 1: the kernel otherwise batches logged packets and flushes them on a timer of up to
        // a second, which delays every blocked-connection event (and the operator's prompt) by that much.
        return "log prefix \"" + prefix + "\" group " + g + " queue-threshold 1";
    }

    String rules(Policy p) {
        StringBuilder out = new StringBuilder();
        String o = "add rule " + TABLE + " output ";
        String i = "add rule " + TABLE + " input ";
        out.append("add rule ").append(TABLE).append(' ').append(REFUSE).append(" meta l4proto tcp reject with tcp reset\n");
        out.append("add rule ").append(TABLE).append(' ').append(REFUSE).append(" reject with icmpx admin-prohibited\n");
        for (String prefix : REFUSAL_PREFIXES) {
            String chain = "add rule " + TABLE + " " + refusalChain(prefix) + " ";
            // over the task's limit: dropped and counted, neither logged nor answered (the flooder waits on its
            // retransmits); under it: logged (the events, the operator's prompt) and refused at once
            out.append(chain).append("limit name \"").append(FLOOD_LIMIT).append("\" counter name \"").append(FLOOD_COUNTER)
                    .append("\" drop\n");
            out.append(chain).append(log(prefix)).append(' ').append(REJECT).append('\n');
        }
        out.append(i).append("iifname \"lo\" accept\n");
        out.append(o).append("oifname \"lo\" accept\n");
        if (p.mode() == Mode.BLOCKED) {
            out.append(o).append("counter ").append(log(PREFIX_QUARANTINE)).append(" drop\n");
            out.append(i).append("counter drop\n");
            return out.toString();
        }
        String nd = "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert } accept\n";
        out.append(i).append(nd);
        out.append(o).append(nd);
        out.append(o).append("ip daddr @deny_v4 ").append(refused(PREFIX_DENIED)).append('\n');
        out.append(o).append("ip6 daddr @deny_v6 ").append(refused(PREFIX_DENIED)).append('\n');
        if (p.relayed().stream().anyMatch(t -> t.kind() == Target.Kind.DOMAIN)) {
            // only then: a container started by an older version has no such sets, and a mode switch must not fail
            out.append(o).append("ip daddr @relayed_v4 ").append(refused(PREFIX_DENIED)).append('\n');
            out.append(o).append("ip6 daddr @relayed_v6 ").append(refused(PREFIX_DENIED)).append('\n');
        }
        out.append(i).append("ct state established,related accept\n");
        out.append(o).append("ct state established,related accept\n");
        String fam = p.upstreamDns().kind() == Target.Kind.V4 ? "ip" : "ip6";
        for (String proto : List.of("udp", "tcp")) {
            out.append(o).append(fam).append(" daddr ").append(p.upstreamDns().canonical()).append(' ').append(proto)
                    .append(" dport 53 accept\n");
        }
        if (p.hostAddress() != null && !p.hostPorts().isEmpty()) {
            String hf = p.hostAddress().kind() == Target.Kind.V4 ? "ip" : "ip6";
            out.append(o).append(hf).append(" daddr ").append(p.hostAddress().canonical()).append(" tcp dport { ")
                    .append(p.hostPorts().stream().map(String::valueOf).collect(Collectors.joining(", "))).append(" } accept\n");
        }
        if (p.mode() != Mode.DOWN_ALL) {
            List<Target> never = p.neverAllowed();
            out.append(o).append("ip daddr { ").append(join(never, Target.Kind.V4)).append(" } ")
                    .append(refused(PREFIX_PRIVATE)).append('\n');
            out.append(o).append("ip6 daddr { ").append(join(never, Target.Kind.V6)).append(" } ")
                    .append(refused(PREFIX_PRIVATE)).append('\n');
        }
        // no verdict: the one-shot log (it deletes its element) and on to the accept below
        out.append(o).append("ip daddr . meta l4proto . th dport @first_port_v4 delete @first_port_v4 { ip daddr . meta l4proto . th dport } ")
                .append(log(PREFIX_PASSED)).append('\n');
        out.append(o).append("ip6 daddr . meta l4proto . th dport @first_port_v6 delete @first_port_v6 { ip6 daddr . meta l4proto . th dport } ")
                .append(log(PREFIX_PASSED)).append('\n');
        out.append(o).append("ip daddr . meta l4proto . th dport @allow_port_v4 accept\n");
        out.append(o).append("ip6 daddr . meta l4proto . th dport @allow_port_v6 accept\n");
        out.append(o).append("ip daddr @allow_v4 accept\n");
        out.append(o).append("ip6 daddr @allow_v6 accept\n");
        if (p.mode() != Mode.DOWN_ALL) {
            out.append(o).append("ip daddr { ").append(String.join(", ", PRIVATE_V4)).append(" } ")
                    .append(refused(PREFIX_PRIVATE)).append('\n');
            out.append(o).append("ip6 daddr { ").append(String.join(", ", PRIVATE_V6)).append(" } ")
                    .append(refused(PREFIX_PRIVATE)).append('\n');
        }
        if (p.mode() == Mode.UP) {
            out.append(o).append("ip daddr @learned_v4 accept\n");
            out.append(o).append("ip6 daddr @learned_v6 accept\n");
            for (List<Integer> g : p.portGroups()) {
                String ports = g.stream().map(String::valueOf).collect(Collectors.joining(", "));
                out.append(o).append("ip daddr @").append(learnedSet(g, "v4")).append(" meta l4proto { tcp, udp } th dport { ")
                        .append(ports).append(" } accept\n");
                out.append(o).append("ip6 daddr @").append(learnedSet(g, "v6")).append(" meta l4proto { tcp, udp } th dport { ")
                        .append(ports).append(" } accept\n");
            }
            // multicast (MLD reports, mDNS): dropped without an event
            out.append(o).append("ip daddr 224.0.0.0/4 drop\n");
            out.append(o).append("ip6 daddr ff00::/8 drop\n");
            out.append(o).append(refused(PREFIX_BLOCKED)).append('\n');
        } else {
            out.append(o).append("ct state new counter ").append(log(PREFIX_BYPASS)).append(" accept\n");
        }
        return out.toString();
    }
}
