package io.terok.runtime.spec;

import io.terok.runtime.podman.HostProfile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The hardening every task container gets, written as podman's SpecGenerator: uid 1000 inside a user
 * namespace (keep-id rootless, auto as root so container root is never host root), all capabilities
 * dropped, no-new-privileges, terok's own seccomp profile ({@link SeccompProfile}), catatonit as PID 1.
 */
public final class LibpodSpecBuilder {
    /** The unprivileged user every task runs as. */
    public static final int TASK_UID = 1000;
    static final String TASK_HOME = "/home/terok";

    private LibpodSpecBuilder() {
    }

    /** @param seccompProfile the file {@link SeccompProfile#write} made for this plan, readable by podman */
    public static JsonObject build(ContainerPlan plan, String containerName, Map<String, String> taskLabels, HostProfile host,
            java.nio.file.Path seccompProfile) {
        return build(plan, containerName, taskLabels, host, seccompProfile, Optional.empty());
    }

    /**
     * @param cgroupParent terok's weighted parent cgroup for tasks ({@link io.terok.common.TasksCgroup}) where the
     *                     runtime made it; empty: podman's default parent, as without it
     */
    public static JsonObject build(ContainerPlan plan, String containerName, Map<String, String> taskLabels, HostProfile host,
            java.nio.file.Path seccompProfile, Optional<String> cgroupParent) {
        JsonObject s = new JsonObject()
                .put("name", containerName)
                .put("image", plan.image())
                .put("cap_drop", new JsonArray().add("ALL"))
                .put("no_new_privileges", true)
                .put("seccomp_policy", "default")
                .put("seccomp_profile_path", seccompProfile.toString())
                .put("init", host.initAvailable())
                .put("terminal", plan.tty())
                .put("stdin", plan.tty());
        if (!plan.command().isEmpty()) {
            s.put("command", new JsonArray(plan.command()));
        }
        if (host.rootless()) {
            s.put("userns", new JsonObject().put("nsmode", "keep-id").put("value", "uid=" + TASK_UID + ",gid=" + TASK_UID));
        } else {
            s.put("userns", new JsonObject().put("nsmode", "auto"));
        }
        // keep-id only maps uid 1000 to the operator; without a user the process runs as the container's root (seen
        // with agent tasks on a rootless podman service: uid 0 inside, a subordinate uid outside).
        s.put("user", TASK_UID + ":" + TASK_UID);
        if (!plan.capabilities().isEmpty()) {
            s.put("cap_add", new JsonArray(plan.capabilities()));
        }
        JsonObject env = new JsonObject();
        plan.env().forEach(env::put);
        JsonArray mounts = new JsonArray();
        if (plan.readOnlyRoot()) {
            s.put("read_only_filesystem", true);
            // tmpfs cannot be chowned through the user namespace here; the sticky world-writable mode lets uid 1000 in.
            mounts.add(tmpfs(TASK_HOME, "mode=1777"));
            // Over the API podman adds no tmpfs of its own to a read-only root; these are the usual scratch places.
            mounts.add(tmpfs("/tmp", "mode=1777"));
            mounts.add(tmpfs("/var/tmp", "mode=1777"));
            if (!env.containsKey("HOME")) {
                env.put("HOME", TASK_HOME);
            }
        }
        s.put("env", env);
        if (!plan.workdir().isEmpty()) {
            s.put("work_dir", plan.workdir());
        }
        if (!plan.hostname().isEmpty()) {
            s.put("hostname", plan.hostname());
        }
        JsonObject labels = new JsonObject();
        plan.labels().forEach(labels::put);
        taskLabels.forEach(labels::put);
        s.put("labels", labels);
        if (!plan.annotations().isEmpty()) {
            JsonObject a = new JsonObject();
            plan.annotations().forEach(a::put);
            s.put("annotations", a);
        }
        for (Mount m : plan.mounts()) {
            JsonArray opts = new JsonArray().add("rbind").add(m.readOnly() ? "ro" : "rw");
            if (!m.relabel().isEmpty()) {
                opts.add(m.relabel());
            }
            mounts.add(new JsonObject().put("destination", m.containerPath()).put("source", m.hostPath())
                    .put("type", "bind").put("options", opts));
        }
        for (String t : plan.tmpfs()) {
            mounts.add(tmpfs(t, "mode=1777"));
        }
        if (!mounts.isEmpty()) {
            s.put("mounts", mounts);
        }
        network(s, plan, host);
        JsonObject limits = new JsonObject();
        if (plan.memoryBytes() > 0) {
            limits.put("memory", new JsonObject().put("limit", plan.memoryBytes()));
        }
        if (plan.cpus() > 0) {
            limits.put("cpu", new JsonObject().put("quota", Math.round(plan.cpus() * 100_000)).put("period", 100_000));
        }
        if (plan.pids() > 0) {
            limits.put("pids", new JsonObject().put("limit", plan.pids()));
        }
        if (!limits.isEmpty()) {
            s.put("resource_limits", limits);
        }
        cgroupParent.ifPresent(parent -> {
            s.put("cgroup_parent", parent);
            // podman puts conmon in <parent>/conmon, and with it the runc and OCI hooks of every launch: under the tasks'
            // low weight, other tasks' launches would queue behind a busy task. no-conmon leaves conmon in podman's own
            // cgroup (the host's, where the weighted parent is made: rootful cgroupfs).
            s.put("cgroups_mode", "no-conmon");
        });
        if (!plan.devices().isEmpty()) {
            JsonArray d = new JsonArray();
            plan.devices().forEach(x -> d.add(new JsonObject().put("path", x)));
            s.put("devices", d);
        }
        if (plan.shmSizeBytes() > 0) {
            s.put("shm_size", plan.shmSizeBytes());
        }
        if (!plan.ulimits().isEmpty()) {
            JsonArray r = new JsonArray();
            plan.ulimits().forEach((k, v) -> r.add(new JsonObject().put("type", "RLIMIT_" + k.toUpperCase(Locale.ROOT))
                    .put("soft", v[0]).put("hard", v[1])));
            s.put("r_limits", r);
        }
        return s;
    }

    private static void network(JsonObject s, ContainerPlan plan, HostProfile host) {
        if (!plan.network()) {
            s.put("netns", new JsonObject().put("nsmode", "none"));
            return;
        }
        if (host.pasta()) {
            s.put("netns", new JsonObject().put("nsmode", "pasta"));
            s.put("network_options", new JsonObject().put("pasta",
                    new JsonArray().add("--map-host-loopback").add(HostProfile.PASTA_HOST_LOOPBACK)));
        } else {
            s.put("netns", new JsonObject().put("nsmode", "slirp4netns"));
            s.put("network_options", new JsonObject().put("slirp4netns", new JsonArray().add("allow_host_loopback=true")));
        }
        if (!plan.dnsServers().isEmpty()) {
            s.put("dns_server", new JsonArray(plan.dnsServers()));
        }
        if (!plan.hosts().isEmpty()) {
            JsonArray h = new JsonArray();
            plan.hosts().forEach((name, ip) -> h.add(name + ":" + ip));
            s.put("hostadd", h);
        }
    }

    private static JsonObject tmpfs(String target, String options) {
        JsonArray opts = new JsonArray().add("rw").add("nosuid").add("nodev");
        for (String o : options.split(",")) {
            opts.add(o);
        }
        return new JsonObject().put("destination", target).put("source", "tmpfs").put("type", "tmpfs").put("options", opts);
    }
}
