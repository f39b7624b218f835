package io.terok.runtime.spec;

import java.util.List;
import java.util.Map;

/**
 * A run spec that passed validation: everything in it may be handed to podman. Composition (shield,
 * vault, gate) adds to it through the with* methods before the container is created.
 */
public record ContainerPlan(
        String name,
        String image,
        List<String> command,
        Map<String, String> env,
        String workdir,
        String hostname,
        List<Mount> mounts,
        long memoryBytes,
        double cpus,
        long pids,
        List<String> devices,
        List<String> capabilities,
        Map<String, String> annotations,
        boolean readOnlyRoot,
        Map<String, String> labels,
        boolean network,
        boolean tty,
        long shmSizeBytes,
        List<String> tmpfs,
        Map<String, long[]> ulimits,
        List<String> dnsServers,
        Map<String, String> hosts,
        List<String> seccompAllow) {

    public ContainerPlan withWiring(Map<String, String> moreEnv, List<Mount> moreMounts, Map<String, String> moreAnnotations,
            List<String> dns, Map<String, String> moreHosts) {
        return new ContainerPlan(name, image, command, merge(env, moreEnv), workdir, hostname, concat(mounts, moreMounts),
                memoryBytes, cpus, pids, devices, capabilities, merge(annotations, moreAnnotations), readOnlyRoot, labels,
                network, tty, shmSizeBytes, tmpfs, ulimits, dns.isEmpty() ? dnsServers : List.copyOf(dns),
                merge(hosts, moreHosts), seccompAllow);
    }

    /**
     * The same plan with podman's {@code U} option on the bind mounts of {@code hostPaths}: podman chowns them to the
     * container's user (uid 1000 inside, whatever host uid an automatic user namespace gives it). Only for directories
     * runtime itself made for this task (an agent task's configuration), never for a path a client named.
     */
    public ContainerPlan withOwnedMounts(java.util.Set<String> hostPaths) {
        List<Mount> owned = mounts.stream().map(m -> hostPaths.contains(m.hostPath()) && m.relabel().isEmpty()
                ? new Mount(m.hostPath(), m.containerPath(), m.readOnly(), "U") : m).toList();
        return new ContainerPlan(name, image, command, env, workdir, hostname, owned, memoryBytes, cpus, pids, devices,
                capabilities, annotations, readOnlyRoot, labels, network, tty, shmSizeBytes, tmpfs,
                ulimits, dnsServers, hosts, seccompAllow);
    }

    public ContainerPlan withLabels(Map<String, String> moreLabels) {
        return new ContainerPlan(name, image, command, env, workdir, hostname, mounts, memoryBytes, cpus, pids, devices,
                capabilities, annotations, readOnlyRoot, merge(labels, moreLabels), network, tty, shmSizeBytes, tmpfs,
                ulimits, dnsServers, hosts, seccompAllow);
    }

    private static <K, V> Map<K, V> merge(Map<K, V> a, Map<K, V> b) {
        if (b.isEmpty()) {
            return a;
        }
        var m = new java.util.LinkedHashMap<>(a);
        m.putAll(b);
        return java.util.Collections.unmodifiableMap(m);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        if (b.isEmpty()) {
            return a;
        }
        var l = new java.util.ArrayList<>(a);
        l.addAll(b);
        return List.copyOf(l);
    }
}
