package io.terok.shield.policy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Everything the ruleset of one task is generated from. All fields are validated values.
 *
 * @param hostAddress where the container reaches the host's loopback (null: no host ports)
 * @param hostPorts   the host ports of the task's own gate, vault and signer
 * @param upstreamDns the resolver the task's DNS forwarder asks (the only DNS destination allowed)
 * @param allow       allowed networks and domains (profiles first, then live), in order
 * @param deny        networks and domains the operator denied (an explicit allow of the same entry lifts it)
 * @param relayed     hosts the vault relays for the task, fixed at prepare: denied like {@code deny}, but no allow
 *                    lifts them, so the broker stays the only way to the task's providers
 * @param allowPorts  single destination ports of single addresses (a clearance verdict's Allow): only that port
 * @param domainPorts the ports each profile domain opens (canonical name to sorted ports; a profile domain that
 *                    names none opens {@link #DEFAULT_PORTS}); a domain allowed live (not from a profile) is absent
 *                    and opens every port, as an explicitly allowed address does
 */
public record Policy(String taskId, String containerName, List<String> profiles, Target hostAddress,
                     List<Integer> hostPorts, Target upstreamDns, Mode mode, List<Target> allow, List<Target> deny,
                     List<Target> relayed, List<PortTarget> allowPorts, Map<String, List<Integer>> domainPorts) {

    /** What a profile domain opens when its line names no port (issue 15 item 2: https, not ssh or anything else). */
    public static final List<Integer> DEFAULT_PORTS = List.of(443);

    public Policy {
        Map<String, List<Integer>> dp = new TreeMap<>();
        (domainPorts == null ? Map.<String, List<Integer>>of() : domainPorts).forEach((d, ports) -> dp.put(d, List.copyOf(new TreeSet<>(ports))));
        domainPorts = java.util.Collections.unmodifiableMap(dp);
        profiles = List.copyOf(profiles);
        hostPorts = List.copyOf(new LinkedHashSet<>(hostPorts));
        allow = List.copyOf(new LinkedHashSet<>(allow));
        deny = List.copyOf(new LinkedHashSet<>(deny));
        relayed = List.copyOf(new LinkedHashSet<>(relayed));
        allowPorts = List.copyOf(new LinkedHashSet<>(allowPorts));
    }

    public Policy(String taskId, String containerName, List<String> profiles, Target hostAddress, List<Integer> hostPorts,
                  Target upstreamDns, Mode mode, List<Target> allow, List<Target> deny, List<Target> relayed) {
        this(taskId, containerName, profiles, hostAddress, hostPorts, upstreamDns, mode, allow, deny, relayed, List.of(), Map.of());
    }

    public Policy(String taskId, String containerName, List<String> profiles, Target hostAddress, List<Integer> hostPorts,
                  Target upstreamDns, Mode mode, List<Target> allow, List<Target> deny, List<Target> relayed,
                  List<PortTarget> allowPorts) {
        this(taskId, containerName, profiles, hostAddress, hostPorts, upstreamDns, mode, allow, deny, relayed, allowPorts, Map.of());
    }

    /** The ports a domain opens: its profile's, or null for every port (a domain allowed live). */
    public List<Integer> portsOf(String domain) {
        return domainPorts.get(domain);
    }

    /** The distinct port lists of the profile domains, each with its own learned sets (see RulesetGenerator). */
    public List<List<Integer>> portGroups() {
        return domainPorts.values().stream().distinct().sorted(java.util.Comparator.comparing(Object::toString)).toList();
    }

    public Policy withMode(Mode m) {
        return new Policy(taskId, containerName, profiles, hostAddress, hostPorts, upstreamDns, m, allow, deny, relayed,
                allowPorts, domainPorts);
    }

    /** Opens one destination port of one address, and lifts a deny of exactly that address (other ports stay closed). */
    public Policy allowingPort(PortTarget pt) {
        List<PortTarget> ports = new ArrayList<>(allowPorts);
        ports.add(pt);
        return new Policy(taskId, containerName, profiles, hostAddress, hostPorts, upstreamDns, mode, allow,
                minus(deny, pt.address()), relayed, ports, domainPorts);
    }

    /** Adds one TCP port of the host's loopback to the task's host ports. */
    public Policy withHostPort(int port) {
        List<Integer> ports = new ArrayList<>(hostPorts);
        ports.add(port);
        return new Policy(taskId, containerName, profiles, hostAddress, ports, upstreamDns, mode, allow, deny, relayed,
                allowPorts, domainPorts);
    }

    /**
     * What no Allow may open (the ruleset rejects it ahead of every allow set): the task's host loopback (its host
     * address and slirp4netns's 10.0.2.2, 127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10, which hold pasta's
     * 169.254.1.2 and the cloud metadata 169.254.169.254) and the IPv6 metadata address fd00:ec2::254.
     */
    public List<Target> neverAllowed() {
        List<Target> out = new ArrayList<>();
        for (String s : List.of("10.0.2.2", "127.0.0.0/8", "169.254.0.0/16", "::1", "fe80::/10", "fd00:ec2::254")) {
            out.add(Targets.parse("never", s));
        }
        if (hostAddress != null && out.stream().noneMatch(t -> t.contains(hostAddress))) {
            out.add(hostAddress);
        }
        return out;
    }

    public List<PortTarget> allowedPorts(Target.Kind kind) {
        return allowPorts.stream().filter(t -> t.address().kind() == kind).toList();
    }

    /** Adds to the allow list and lifts an identical deny entry (an explicit allow undoes an explicit deny). */
    public Policy allowing(Target t) {
        Policy p = withLists(plus(allow, t), minus(deny, t));
        if (t.kind() != Target.Kind.DOMAIN || !domainPorts.containsKey(t.canonical())) {
            return p;
        }
        // the operator's explicit allow of a profile name opens it on every port, as for a name allowed live
        Map<String, List<Integer>> dp = new TreeMap<>(p.domainPorts);
        dp.remove(t.canonical());
        return new Policy(taskId, containerName, profiles, hostAddress, hostPorts, upstreamDns, mode, p.allow, p.deny, relayed,
                allowPorts, dp);
    }

    /** Adds to the deny list and drops an identical allow entry. */
    public Policy denying(Target t) {
        Policy p = withLists(minus(allow, t), plus(deny, t));
        return new Policy(taskId, containerName, profiles, hostAddress, hostPorts, upstreamDns, mode, p.allow, p.deny,
                relayed, allowPorts.stream().filter(pt -> !pt.address().equals(t)).toList(), p.domainPorts);
    }

    private Policy withLists(List<Target> a, List<Target> d) {
        // A name allowed live opens every port, like an allowed address; one taken off the allow list loses its ports.
        Map<String, List<Integer>> dp = new TreeMap<>(domainPorts);
        dp.keySet().removeIf(name -> a.stream().noneMatch(t -> t.kind() == Target.Kind.DOMAIN && t.canonical().equals(name)));
        return new Policy(taskId, containerName, profiles, hostAddress, hostPorts, upstreamDns, mode, a, d, relayed,
                allowPorts, dp);
    }

    private static List<Target> plus(List<Target> list, Target t) {
        List<Target> out = new ArrayList<>(list);
        out.add(t);
        return out;
    }

    private static List<Target> minus(List<Target> list, Target t) {
        List<Target> out = new ArrayList<>(list);
        out.remove(t);
        return out;
    }

    public List<Target> allowed(Target.Kind kind) {
        return allow.stream().filter(t -> t.kind() == kind).toList();
    }

    /** What the ruleset and the forwarder refuse: the operator's denies and the relayed hosts. */
    public List<Target> denied(Target.Kind kind) {
        List<Target> all = new ArrayList<>(new LinkedHashSet<>(concat(deny, relayed)));
        return all.stream().filter(t -> t.kind() == kind).toList();
    }

    /** The deny entries (the operator's and the relayed hosts) that cover {@code t} (deny beats allow). */
    public List<Target> denyCovering(Target t) {
        return concat(deny, relayed).stream().filter(d -> d.contains(t)).distinct().toList();
    }

    /** The relayed hosts that cover {@code t}. */
    public List<Target> relayedCovering(Target t) {
        return relayed.stream().filter(d -> d.contains(t)).toList();
    }

    private static List<Target> concat(List<Target> a, List<Target> b) {
        List<Target> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
