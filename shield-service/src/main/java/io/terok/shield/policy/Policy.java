package io.terok.shield.policy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

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
 */
public record Policy(String taskId, String containerName, List<String> profiles, Target hostAddress,
                     List<Integer> hostPorts, Target upstreamDns, Mode mode, List<Target> allow, List<Target> deny,
                     List<Target> relayed) {

    public Policy {
        profiles = List.copyOf(profiles);
        hostPorts = List.copyOf(new LinkedHashSet<>(hostPorts));
        allow = List.copyOf(new LinkedHashSet<>(allow));
        deny = List.copyOf(new LinkedHashSet<>(deny));
        relayed = List.copyOf(new LinkedHashSet<>(relayed));
    }

    public Policy withMode(Mode m) {
        return new Policy(taskId, containerName, profiles, hostAddress, hostPorts, upstreamDns, m, allow, deny, relayed);
    }

    /** Adds to the allow list and lifts an identical deny entry (an explicit allow undoes an explicit deny). */
    public Policy allowing(Target t) {
        return withLists(plus(allow, t), minus(deny, t));
    }

    /** Adds to the deny list and drops an identical allow entry. */
    public Policy denying(Target t) {
        return withLists(minus(allow, t), plus(deny, t));
    }

    private Policy withLists(List<Target> a, List<Target> d) {
        return new Policy(taskId, containerName, profiles, hostAddress, hostPorts, upstreamDns, mode, a, d, relayed);
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
