package io.terok.shield.dns;

import io.terok.shield.policy.Policy;
import io.terok.shield.policy.Target;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * How a task's DNS forwarder treats each name of its policy: allowed names resolve and open their addresses
 * (learned sets), relayed names resolve and close theirs (relayed sets), denied names do not resolve at all. A name
 * under a denied or relayed one is not allowed, whatever the allow list says.
 */
public final class ForwarderDomains {
    private ForwarderDomains() {
    }

    /**
     * The names the hook and a forwarder restart resolve at once: the allowed ones, so their addresses are open
     * before the first instruction, and the relayed ones, so theirs are closed before the task could learn them
     * elsewhere.
     */
    public static List<String> preResolved(Policy p) {
        List<String> out = new ArrayList<>(allowed(p));
        out.addAll(relayed(p));
        return out;
    }

    /** The allowed names that no denied or relayed name covers. */
    public static List<String> allowed(Policy p) {
        List<String> denied = new ArrayList<>(denied(p));
        denied.addAll(relayed(p));
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (Target t : p.allowed(Target.Kind.DOMAIN)) {
            String d = t.canonical();
            if (denied.stream().noneMatch(x -> covers(x, d))) {
                out.add(d);
            }
        }
        return List.copyOf(out);
    }

    /** The operator's denied names: they do not resolve at all. */
    public static List<String> denied(Policy p) {
        return p.deny().stream().filter(t -> t.kind() == Target.Kind.DOMAIN).map(Target::canonical).toList();
    }

    /** The relayed names: they resolve, and whatever they resolve to goes into the relayed (denied) sets. */
    public static List<String> relayed(Policy p) {
        return p.relayed().stream().filter(t -> t.kind() == Target.Kind.DOMAIN).map(Target::canonical).toList();
    }

    /** True when {@code name} is {@code domain} or lies under it. */
    public static boolean covers(String domain, String name) {
        return name.equals(domain) || name.endsWith("." + domain);
    }

    /** True when a change from {@code before} to {@code after} changes what the forwarder does. */
    public static boolean differ(Policy before, Policy after) {
        return !allowed(before).equals(allowed(after)) || !denied(before).equals(denied(after))
                || !before.domainPorts().equals(after.domainPorts());
    }
}
