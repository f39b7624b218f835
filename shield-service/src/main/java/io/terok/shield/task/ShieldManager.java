package io.terok.shield.task;

import io.terok.common.Ids;
import io.terok.common.ServiceException;
import io.terok.shield.dns.ForwarderDomains;
import io.terok.shield.dns.TaskDnsForwarder;
import io.terok.shield.hooks.HooksInstaller;
import io.terok.shield.netns.NetnsRunner;
import io.terok.shield.netns.TaskPids;
import io.terok.shield.policy.Mode;
import io.terok.shield.policy.Policy;
import io.terok.shield.policy.PortTarget;
import io.terok.shield.policy.Profiles;
import io.terok.shield.policy.RulesetGenerator;
import io.terok.shield.policy.Target;
import io.terok.shield.policy.Targets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The shield's domain logic, plain Java: prepares a task's state (validated policy, generated ruleset and DNS
 * forwarder configuration, read by the OCI hook at every start; see {@link PolicyFiles}) and applies live changes to
 * a running task's network namespace, restarting its {@link TaskDnsForwarder} when the names change. A live change
 * is applied to the kernel first and persisted only when nft accepted it, so a refused change leaves both the kernel
 * and the files as they were.
 */
public final class ShieldManager {
    private static final Logger LOG = Logger.getLogger(ShieldManager.class.getName());

    /** Configuration (see docs/shield.md, keys {@code terok.shield.*}). */
    public record Settings(Path stateRoot, Path userProfiles, List<String> defaultProfiles, Optional<String> upstreamDns,
                           int logGroup, String learnedTimeout, boolean rootless) {
    }

    public record Prepared(Map<String, String> annotations, List<String> dnsServers) {
    }

    /**
     * {@code appliedContainer}: the last container whose start loaded the ruleset (the hook's record; "" if none);
     * {@code relayed}: the hosts the vault relays for the task, denied to it directly; {@code floodDropped}: packets
     * its flood limit dropped (read only by {@link #status(String, boolean)} with counters, else 0).
     */
    public record Status(String taskId, Optional<Mode> liveMode, Mode mode, List<String> allowed, List<String> denied,
                         List<String> profiles, List<String> notes, String appliedContainer, List<String> relayed,
                         long floodDropped) {
    }

    private final Settings settings;
    private final TaskStore store;
    private final Profiles profiles;
    private final RulesetGenerator generator;
    private final NetnsRunner runner;
    private final TaskDnsForwarder forwarder;
    private final PolicyFiles files;
    private final Supplier<HooksInstaller.Status> hooks;
    private final AuditLog audit;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    public ShieldManager(Settings settings, NetnsRunner runner, Supplier<HooksInstaller.Status> hooks, AuditLog audit) {
        this.settings = settings;
        if (!HooksInstaller.SAFE_PATH.matcher(settings.stateRoot().toAbsolutePath().toString()).matches()) {
            throw new IllegalArgumentException("state dir " + settings.stateRoot() + " has characters the hook cannot take");
        }
        this.store = new TaskStore(settings.stateRoot().toAbsolutePath());
        this.profiles = new Profiles(settings.userProfiles());
        this.generator = new RulesetGenerator(settings.logGroup(), settings.learnedTimeout());
        this.runner = runner;
        this.forwarder = new TaskDnsForwarder(store, runner, settings.rootless());
        this.files = new PolicyFiles(store, generator, forwarder);
        this.hooks = hooks;
        this.audit = audit;
    }

    public TaskStore store() {
        return store;
    }

    public Profiles profiles() {
        return profiles;
    }

    public RulesetGenerator generator() {
        return generator;
    }

    public NetnsRunner runner() {
        return runner;
    }

    // ---------------------------------------------------------------------------------------------- prepare / release

    public Prepared prepare(String taskId, String containerName, List<String> profileNames, List<Integer> hostPorts,
                            String hostAddress) {
        return prepare(taskId, containerName, profileNames, hostPorts, hostAddress, List.of());
    }

    /** @param relayedHosts hosts the vault relays for the task: denied to it directly, and no allow lifts that */
    public Prepared prepare(String taskId, String containerName, List<String> profileNames, List<Integer> hostPorts,
                            String hostAddress, List<String> relayedHosts) {
        Ids.taskId("task_id", taskId);
        if (containerName != null && !containerName.isEmpty()) {
            Targets.matching("container_name", containerName, Targets.CONTAINER_NAME, "container name");
        }
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < hostPorts.size(); i++) {
            ports.add(Targets.port("host_ports[" + i + "]", hostPorts.get(i)));
        }
        Target host = null;
        if (hostAddress != null && !hostAddress.isEmpty()) {
            host = Targets.address("host_address", hostAddress);
        } else if (!ports.isEmpty()) {
            throw ServiceException.invalid("host_address", "must be set when host_ports are given");
        }
        Target upstream = upstream(host);
        List<Target> relayed = new ArrayList<>();
        for (int i = 0; i < relayedHosts.size(); i++) {
            Target t = Targets.parse("relayed_hosts[" + i + "]", relayedHosts.get(i));
            if (host != null && t.contains(host)) {
                // the broker itself is reached there: denying it would cut the task off from its own vault
                LOG.warning("task " + taskId + ": relayed host " + t.canonical() + " covers the host address; not denied");
                continue;
            }
            relayed.add(t);
        }
        List<String> names = profileNames.isEmpty() ? settings.defaultProfiles() : profileNames;
        List<Target> allow = profileEntries(names);
        Map<String, List<Integer>> domainPorts = profilePorts(names);
        HooksInstaller.Status h = hooks.get();
        if (!h.installed()) {
            // fail closed: without the hooks a container of this task would start without its firewall
            throw ServiceException.precondition("the shield's OCI hooks are not installed" + (h.stale() ? " (stale)" : "")
                    + ": " + String.join("; ", h.problems()) + ". Run `terok setup`");
        }
        Policy p = new Policy(taskId, containerName == null ? "" : containerName, names, host, ports, upstream, Mode.UP,
                allow, List.of(), relayed, List.of(), domainPorts);
        synchronized (lock(taskId)) {
            files.write(p);
            audit(taskId, "setup", "",
                    "profiles=" + String.join(",", names) + " host_ports=" + ports + " upstream_dns=" + upstream
                            + (relayed.isEmpty() ? "" : " relayed=" + relayed));
        }
        LOG.info("prepared task " + taskId + " (" + p.containerName() + ") profiles=" + names + " host_ports=" + ports
                + (relayed.isEmpty() ? "" : " relayed=" + relayed));
        return new Prepared(Map.of(HooksInstaller.ANNOTATION, taskId), List.of("127.0.0.1"));
    }

    /**
     * The ports each profile domain opens: the union of what its lines in the named profiles say, {@link
     * Policy#DEFAULT_PORTS} for a line that names none.
     */
    private Map<String, List<Integer>> profilePorts(List<String> names) {
        Map<String, java.util.TreeSet<Integer>> out = new java.util.TreeMap<>();
        for (int i = 0; i < names.size(); i++) {
            Profiles.Profile prof = profiles.get("profiles[" + i + "]", names.get(i));
            for (Target t : prof.entries()) {
                if (t.kind() == Target.Kind.DOMAIN) {
                    out.computeIfAbsent(t.canonical(), k -> new java.util.TreeSet<>())
                            .addAll(prof.ports().getOrDefault(t.canonical(), Policy.DEFAULT_PORTS));
                }
            }
        }
        Map<String, List<Integer>> r = new java.util.TreeMap<>();
        out.forEach((d, ports) -> r.put(d, List.copyOf(ports)));
        return r;
    }

    /** The entries of the named profiles, in order; a bad name is refused as {@code profiles[i]}. */
    private List<Target> profileEntries(List<String> names) {
        List<Target> allow = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            allow.addAll(profiles.get("profiles[" + i + "]", names.get(i)).entries());
        }
        return allow;
    }

    private Target upstream(Target host) {
        if (settings.upstreamDns().isPresent() && !settings.upstreamDns().get().isBlank()) {
            return Targets.address("terok.shield.upstream-dns", settings.upstreamDns().get());
        }
        if (host != null && host.canonical().equals("169.254.1.2")) {
            return Targets.address("upstream", "169.254.1.1");   // pasta's DNS forwarder
        }
        return Targets.address("upstream", "10.0.2.3");          // slirp4netns's DNS forwarder
    }

    public boolean release(String taskId) {
        Ids.taskId("task_id", taskId);
        synchronized (lock(taskId)) {
            forwarder.stop(taskId);
            boolean existed = store.delete(taskId);
            if (existed) {
                LOG.info("released task " + taskId);
            }
            return existed;
        }
    }

    // ---------------------------------------------------------------------------------------------- live changes

    public Status allow(String taskId, String raw) {
        return allow(taskId, raw, 0, "");
    }

    /**
     * Allows {@code raw}: with {@code port} 0 every port of it, otherwise only that destination port (a clearance
     * verdict). An address inside the task's host loopback, link-local or metadata ranges is refused whatever the port
     * ({@link #allowHostPort} is the only way to the host's loopback); a wider network is allowed with a note that
     * those stay closed (the ruleset rejects them ahead of every allow).
     */
    public Status allow(String taskId, String raw, int port, String protocol) {
        Target t = Targets.parse("target", raw);
        Policy before = policy(taskId);
        List<String> notes = new ArrayList<>();
        if (t.isAddress()) {
            List<Target> never = before.neverAllowed().stream().filter(n -> n.contains(t)).toList();
            if (!never.isEmpty()) {
                audit(taskId, "allow_refused", t.canonical() + (port == 0 ? "" : ":" + port),
                        "host loopback, link-local or metadata address");
                // the hint first: clearance and the cli show this after their own prefixes, cut at a line's length
                throw ServiceException.invalid("target", "an Allow never opens " + t.canonical() + " (only `terok shield "
                        + "allow TASK --host-port PORT` opens one port of the host's loopback): it is host loopback, "
                        + "link-local or cloud metadata, inside " + never.stream().map(Target::canonical).toList());
            }
            List<Target> inside = before.neverAllowed().stream().filter(t::contains).toList();
            if (!inside.isEmpty()) {
                notes.add(t.canonical() + " does not open " + inside.stream().map(Target::canonical).toList()
                        + " (host loopback, link-local and metadata addresses stay closed; see --host-port)");
            }
        }
        if (port != 0) {
            if (!t.isAddress()) {
                throw ServiceException.invalid("port", "a port is given only with a single IP address, not the name " + t.canonical());
            }
            PortTarget pt = PortTarget.of(t, protocol, port);
            Policy after = before.allowingPort(pt);
            List<Target> relayed = after.relayedCovering(t);
            List<Target> shadow = after.denyCovering(t);
            String detail = !relayed.isEmpty() ? "still denied: " + t.canonical()
                    + " is relayed by the vault for this task, which reaches it through the broker with its phantom token"
                    : shadow.isEmpty() ? "" : "still denied by " + shadow.stream().map(Target::canonical).toList()
                    + " (deny beats allow)";
            // in the same nft transaction as the allow: the first packet through cannot slip past the one-shot log
            change(before, after, t, pt.canonical(), "allowed", detail, generator.firstPacket(pt));
            if (!detail.isEmpty()) {
                notes.add(pt.canonical() + " is " + detail);
            }
            return status(taskId, notes);
        }
        Policy after = before.allowing(t);
        List<Target> relayed = relayedCovering(after, t);
        List<Target> shadow = after.denyCovering(t);
        String detail = !relayed.isEmpty() ? "still denied: " + relayed.stream().map(Target::canonical).toList()
                + " is relayed by the vault for this task, which reaches it through the broker with its phantom token"
                : shadow.isEmpty() ? "" : "still denied by " + shadow.stream().map(Target::canonical).toList()
                + " (deny beats allow)";
        change(before, after, t, t.canonical(), "allowed", detail);
        if (!detail.isEmpty()) {
            notes.add(t.canonical() + " is " + detail);
        }
        return status(taskId, notes);
    }

    /** The operator's explicit opening of one TCP port of the host's loopback (the task's host address) to the task. */
    public Status allowHostPort(String taskId, int port) {
        Targets.port("host_port", port);
        synchronized (lock(taskId)) {
            Policy before = policy(taskId);
            if (before.hostAddress() == null) {
                throw ServiceException.precondition("task " + taskId + " has no host address (its network reaches no host loopback)");
            }
            Policy after = before.withHostPort(port);
            OptionalInt pid = TaskPids.running(store.dir(taskId));
            if (pid.isPresent()) {
                runner.nft(pid.getAsInt(), generator.modeSwitch(after));
            }
            files.write(after);
            String what = before.hostAddress().canonical() + ":" + port + "/tcp";
            audit(taskId, "allowed_host_port", what, pid.isPresent() ? "live" : "at next start");
            LOG.info("task " + taskId + ": allowed host loopback port " + what);
            return status(taskId, List.of("the task can reach the host's loopback port " + port + " (as " + what + ")"));
        }
    }

    public Status deny(String taskId, String raw) {
        Target t = Targets.parse("target", raw);
        Policy before = policy(taskId);
        change(before, before.denying(t), t, t.canonical(), "denied", "");
        return status(taskId);
    }

    public Status up(String taskId) {
        return mode(taskId, Mode.UP, "shield_up");
    }

    public Status down(String taskId, boolean all) {
        return mode(taskId, all ? Mode.DOWN_ALL : Mode.DOWN, all ? "shield_down_all" : "shield_down");
    }

    public Status block(String taskId) {
        return mode(taskId, Mode.BLOCKED, "shield_block");
    }

    private Status mode(String taskId, Mode m, String action) {
        synchronized (lock(taskId)) {
            Policy before = policy(taskId);
            Policy after = before.withMode(m);
            OptionalInt pid = TaskPids.running(store.dir(taskId));
            if (pid.isPresent()) {
                runner.nft(pid.getAsInt(), generator.modeSwitch(after));
            }
            files.write(after);
            audit(taskId, action, "", pid.isPresent() ? "live" : "at next start");
            LOG.info("task " + taskId + ": " + action);
        }
        return status(taskId);
    }

    private void change(Policy before, Policy after, Target t, String shown, String action, String detail) {
        change(before, after, t, shown, action, detail, "");
    }

    /** @param alsoNft nft text applied live with the new elements, in the same transaction (only for an address) */
    private void change(Policy before, Policy after, Target t, String shown, String action, String detail, String alsoNft) {
        String taskId = before.taskId();
        synchronized (lock(taskId)) {
            OptionalInt pid = TaskPids.running(store.dir(taskId));
            boolean domains = ForwarderDomains.differ(before, after);
            if (pid.isPresent() && t.isAddress()) {
                runner.nft(pid.getAsInt(), generator.elements(after) + alsoNft);
            }
            if (pid.isPresent() && !t.isAddress() && action.equals("denied")) {
                // addresses learned for the denied name must go now, not when their timeout runs out; the
                // forwarder restart below re-resolves the names still allowed
                runner.nft(pid.getAsInt(), generator.flushLearned(before));
            }
            files.write(after);
            if (pid.isPresent() && domains) {
                try {
                    forwarder.restart(taskId, pid.getAsInt(), after);
                } catch (RuntimeException e) {
                    // leave nothing half-done: back to the previous policy and forwarder
                    files.write(before);
                    if (t.isAddress()) {
                        runner.nft(pid.getAsInt(), generator.elements(before));
                    }
                    try {
                        forwarder.restart(taskId, pid.getAsInt(), before);
                    } catch (RuntimeException again) {
                        LOG.warning("task " + taskId + ": the previous DNS forwarder did not come back either: "
                                + again.getMessage());
                    }
                    throw e;
                }
            }
            audit(taskId, action, shown,
                    (pid.isPresent() ? "live" : "at next start") + (detail.isEmpty() ? "" : "; " + detail));
            LOG.info("task " + taskId + ": " + action + " " + shown + (detail.isEmpty() ? "" : " (" + detail + ")"));
        }
    }

    // ---------------------------------------------------------------------------------------------- queries

    public Status status(String taskId) {
        return status(taskId, List.of());
    }

    /** @param counters also read the running task's flood counter from its netns (one nft call) */
    public Status status(String taskId, boolean counters) {
        Status s = status(taskId, List.of());
        OptionalInt pid = TaskPids.running(store.dir(taskId));
        if (!counters || pid.isEmpty()) {
            return s;
        }
        long dropped;
        List<String> notes = s.notes();
        try {
            dropped = runner.floodDropped(pid.getAsInt());
        } catch (ServiceException e) {
            // The count is for the operator's information: a shield nft that cannot read the host nft's table (it
            // crashes) must not turn the whole status into an error; the firewall itself is untouched either way.
            dropped = 0;
            notes = java.util.stream.Stream.concat(notes.stream(), java.util.stream.Stream.of(
                    "flood counter not read: " + e.getMessage())).toList();
        }
        return new Status(s.taskId(), s.liveMode(), s.mode(), s.allowed(), s.denied(), s.profiles(), notes,
                s.appliedContainer(), s.relayed(), dropped);
    }

    private Status status(String taskId, List<String> notes) {
        Policy p = policy(taskId);
        OptionalInt pid = TaskPids.running(store.dir(taskId));
        return new Status(taskId, pid.isPresent() ? Optional.of(p.mode()) : Optional.empty(), p.mode(),
                java.util.stream.Stream.concat(p.allow().stream().map(Target::canonical),
                        p.allowPorts().stream().map(PortTarget::canonical)).toList(), p.deny().stream().map(Target::canonical).toList(),
                p.profiles(), notes, TaskPids.lastApplied(store.dir(taskId)),
                p.relayed().stream().map(Target::canonical).toList(), 0);
    }

    /** The ruleset loaded in the running container, or the one the next start loads. */
    public String rules(String taskId) {
        policy(taskId);
        OptionalInt pid = TaskPids.running(store.dir(taskId));
        if (pid.isPresent()) {
            String live = runner.listTable(pid.getAsInt());
            if (!live.isEmpty()) {
                return live;
            }
        }
        return store.read(taskId, "ruleset.nft").orElse("");
    }

    public String preview(List<String> profileNames, boolean down, boolean all) {
        List<Target> allow = profileEntries(profileNames);
        Mode m = !down ? Mode.UP : all ? Mode.DOWN_ALL : Mode.DOWN;
        Policy p = new Policy("0".repeat(32), "preview", profileNames, Targets.address("host", "10.0.2.2"), List.of(),
                upstream(null), m, allow, List.of(), List.of(), List.of(), profilePorts(profileNames));
        return generator.full(p) + forwarder.config(p, Path.of("<state dir>"));
    }

    public List<AuditLog.Entry> auditLog(String taskId, int limit) {
        policy(taskId);
        return audit.read(store.auditLog(taskId), limit);
    }

    public Policy policy(String taskId) {
        Ids.taskId("task_id", taskId);
        return store.loadPolicy(taskId).orElseThrow(() -> ServiceException.notFound("no shield state for task " + taskId));
    }

    public OptionalInt runningPid(String taskId) {
        return TaskPids.running(store.dir(Ids.taskId("task_id", taskId)));
    }

    /** The relayed entries that cover {@code t}: networks that contain it, or names it equals or lies under. */
    private static List<Target> relayedCovering(Policy p, Target t) {
        if (t.isAddress()) {
            return p.relayedCovering(t);
        }
        return p.relayed().stream().filter(r -> r.kind() == Target.Kind.DOMAIN
                && ForwarderDomains.covers(r.canonical(), t.canonical())).toList();
    }

    private void audit(String taskId, String action, String destination, String detail) {
        audit.append(store.auditLog(taskId), taskId, action, destination, detail);
    }

    private Object lock(String taskId) {
        return locks.computeIfAbsent(taskId, k -> new Object());
    }
}
