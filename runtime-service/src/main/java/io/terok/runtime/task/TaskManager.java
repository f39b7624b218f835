package io.terok.runtime.task;

import com.google.protobuf.Timestamp;
import io.terok.api.v1.ExecResponse;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.RemoveResponse;
import io.terok.api.v1.RevokeCredentialsResponse;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.ServiceOptOut;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskEvent;
import io.terok.api.v1.TaskEventKind;
import io.terok.api.v1.TaskState;
import io.terok.api.v1.TaskWiring;
import io.terok.runtime.compose.ServiceUnavailableException;
import io.terok.runtime.compose.TaskServices;
import io.terok.runtime.panic.PanicLock;
import io.terok.runtime.podman.ContainerInfo;
import io.terok.runtime.podman.OutputSink;
import io.terok.runtime.podman.PodmanApi;
import io.terok.runtime.podman.PodmanException;
import io.terok.runtime.podman.StreamHandle;
import io.terok.runtime.spec.ContainerPlan;
import io.terok.runtime.spec.InvalidSpecException;
import io.terok.runtime.spec.LibpodSpecBuilder;
import io.terok.runtime.spec.RunSpecValidator;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The lifecycle of task containers: validate, compose the other services, create and start; and the
 * exact reverse on removal. A launch that fails at any step undoes every step before it.
 */
public final class TaskManager {
    private static final Logger LOG = Logger.getLogger(TaskManager.class);
    /** Label every terok task container carries; its value is the task id. */
    public static final String TASK_LABEL = "io.terok.task";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PodmanApi podman;
    private final TaskStore store;
    private final TaskServices services;
    private final RunSpecValidator validator;
    private final PanicLock panic;
    /** Names of launches in flight, so two launches cannot both pass the "name free" check. */
    private final java.util.Set<String> reservedNames = new java.util.HashSet<>();

    public TaskManager(PodmanApi podman, TaskStore store, TaskServices services, RunSpecValidator validator, PanicLock panic) {
        this.podman = podman;
        this.store = store;
        this.services = services;
        this.validator = validator;
        this.panic = panic;
    }

    public Task launch(LaunchRequest request) {
        if (!request.hasRunSpec()) {
            throw new InvalidSpecException("run_spec", "is required");
        }
        panic.refuse("launching a task");
        RunSpec spec = request.getRunSpec();
        ContainerPlan plan = validator.validate(spec);
        if (!podman.imageExists(plan.image())) {
            throw new InvalidSpecException("run_spec.image", "image '" + plan.image()
                    + "' is not in podman's local storage; build or pull it first (podman images lists what is there)");
        }
        String id = newId();
        String name = plan.name().isEmpty() ? "terok-" + id.substring(0, 12) : plan.name();
        reserve(name);
        try {
            return launch(id, name, spec, plan, request.getOptOut());
        } finally {
            synchronized (reservedNames) {
                reservedNames.remove(name);
            }
        }
    }

    private void reserve(String name) {
        synchronized (reservedNames) {
            if (reservedNames.contains(name) || store.all().stream().anyMatch(t -> t.getName().equals(name))
                    || podman.inspect(name).isPresent()) {
                throw new TaskConflictException("run_spec.name: a container named '" + name + "' already exists", true);
            }
            reservedNames.add(name);
        }
    }

    private Task launch(String id, String name, RunSpec spec, ContainerPlan plan, ServiceOptOut optOut) {
        TaskWiring.Builder wiring = TaskWiring.newBuilder();
        List<String> warnings = new ArrayList<>();
        if (!podman.profile().initAvailable()) {
            warnings.add("no catatonit found for podman: the task runs without an init, so signals to PID 1 may be "
                    + "ignored and stop waits for the grace period (install catatonit)");
        }
        Deque<Runnable> undo = new ArrayDeque<>();
        try {
            plan = compose(id, name, spec, plan, optOut, wiring, warnings, undo);
            Task.Builder record = Task.newBuilder().setId(id).setName(name).setImage(plan.image()).setSpec(spec)
                    .setCreatedAt(now()).setWiring(wiring).addAllWarnings(warnings);
            store.save(record.build());
            undo.push(() -> store.delete(id));

            JsonObject libpodSpec = LibpodSpecBuilder.build(plan, name, Map.of(TASK_LABEL, id), podman.profile());
            PodmanApi.Created created = podman.create(libpodSpec);
            undo.push(() -> podman.remove(created.id(), true));
            record.setContainerId(created.id()).addAllWarnings(created.warnings());
            store.save(record.build());

            podman.start(created.id());
            // A panic that began while this launch was under way may have listed the tasks before this one was
            // recorded: the launch is undone rather than left running outside the emergency stop.
            panic.refuse("launching a task");
            if (wiring.getShieldApplied() && !services.shieldLoaded(id, created.id())) {
                // The annotation selects shield's hook only if this podman reads shield's hooks dir; otherwise
                // the container would run unfiltered. Fail closed: the undo steps remove it again.
                throw new ServiceUnavailableException("shield", "the firewall did not load when the container started: "
                        + "the podman service in use does not run shield's hook. Run `terok setup`, then restart the "
                        + "podman API service (`terok services down && terok services up` restarts terok's own)");
            }
            LOG.infof("launched task %s (%s) image=%s network=%s opted-out=%s", id, name, plan.image(),
                    plan.network() ? "filtered" : "none", wiring.getOptedOutList());
            return live(record.build());
        } catch (RuntimeException e) {
            LOG.warnf("launch of %s failed, undoing %d step(s): %s", name, undo.size(), e.getMessage());
            while (!undo.isEmpty()) {
                try {
                    undo.pop().run();
                } catch (RuntimeException cleanup) {
                    LOG.errorf("could not undo a launch step of %s: %s", name, cleanup.getMessage());
                }
            }
            throw e;
        }
    }

    private ContainerPlan compose(String id, String name, RunSpec spec, ContainerPlan plan, ServiceOptOut optOut,
            TaskWiring.Builder wiring, List<String> warnings, Deque<Runnable> undo) {
        Map<String, String> env = new LinkedHashMap<>();
        List<io.terok.runtime.spec.Mount> mounts = new ArrayList<>();
        Map<String, String> annotations = new LinkedHashMap<>();
        List<String> dns = new ArrayList<>();
        Map<String, String> hosts = new LinkedHashMap<>();

        boolean filtered = spec.getNetwork() != NetworkMode.NETWORK_MODE_NONE;
        String hostAddress = podman.profile().hostLoopbackAddress();
        List<Integer> hostPorts = new ArrayList<>();
        List<String> relayedHosts = new ArrayList<>();
        // Vault and gate first: shield opens exactly the host ports they answer with, and closes the hosts the vault
        // relays (the task's providers are reached through the broker, never directly).
        if (!spec.getProvidersList().isEmpty()) {
            if (optOut.getVault()) {
                optedOut("vault", name, "no credentials are wired for " + spec.getProvidersList(), wiring, warnings);
            } else {
                TaskServices.VaultWiring v = required("vault", "cannot wire credentials for " + spec.getProvidersList(),
                        () -> services.mintVaultTokens(id, spec.getProject(), spec.getProvidersList(), hostAddress));
                undo.push(() -> services.revokeVaultTokens(id));
                env.putAll(v.env());
                mounts.addAll(v.mounts());
                hostPorts.addAll(v.hostPorts());
                relayedHosts.addAll(v.relayedHosts());
                wiring.addAllVaultTokenIds(v.tokenIds());
                wiring.setVaultSshAgent(!v.mounts().isEmpty());
            }
        } else if (!spec.getProject().isEmpty() && !optOut.getVault()) {
            // No providers: the vault is only asked for the project's SSH agent. Best effort - without an agent the
            // task holds no key at all (nothing opens by its absence), so a vault that is down or refuses does not
            // stop the launch; it is reported as a warning.
            try {
                TaskServices.VaultWiring v = services.mintVaultTokens(id, spec.getProject(), List.of(), hostAddress);
                if (!v.mounts().isEmpty() || !v.tokenIds().isEmpty()) {
                    undo.push(() -> services.revokeVaultTokens(id));
                    env.putAll(v.env());
                    mounts.addAll(v.mounts());
                    hostPorts.addAll(v.hostPorts());
                    wiring.addAllVaultTokenIds(v.tokenIds());
                    wiring.setVaultSshAgent(!v.mounts().isEmpty());
                }
            } catch (ServiceUnavailableException e) {
                if (e.unavailable()) {
                    LOG.infof("task %s: no SSH agent for project %s (%s)", name, spec.getProject(), e.getMessage());
                } else {
                    warnings.add("no SSH agent for project " + spec.getProject() + ": " + e.getMessage());
                }
            }
        }
        if (!spec.getProject().isEmpty()) {
            if (optOut.getGate()) {
                optedOut("gate", name, "the task has no gate repository for project " + spec.getProject(), wiring, warnings);
            } else {
                TaskServices.GateWiring g = required("gate", "cannot give the task its repository",
                        () -> services.mintGateToken(id, spec.getProject(), hostAddress));
                undo.push(() -> services.revokeGateToken(id));
                env.putAll(g.env());
                hostPorts.addAll(g.hostPorts());
                wiring.setGateUrl(g.cloneUrl());
            }
        }
        if (filtered) {
            if (optOut.getShield()) {
                optedOut("shield", name, "the task gets UNFILTERED network egress", wiring, warnings);
            } else {
                TaskServices.ShieldWiring s = required("shield", "refusing to launch with unfiltered egress",
                        () -> services.prepareShield(id, name, spec.getShieldProfilesList(), hostPorts, hostAddress, relayedHosts));
                undo.push(() -> services.releaseShield(id));
                annotations.putAll(s.annotations());
                dns.addAll(s.dnsServers());
                mounts.addAll(s.mounts());
                hosts.putAll(s.hosts());
                wiring.setShieldApplied(true);
            }
        }
        if (filtered && wiring.getShieldApplied()) {
            if (optOut.getClearance()) {
                optedOut("clearance", name, "blocked connections will not reach the operator", wiring, warnings);
            } else {
                required("clearance", "blocked connections could not reach the operator", () -> {
                    services.registerClearance(id, name, spec.getProject());
                    return null;
                });
                undo.push(() -> services.unregisterClearance(id));
                wiring.setClearanceRegistered(true);
            }
        }
        return plan.withWiring(env, mounts, annotations, dns, hosts);
    }

    private static <T> T required(String service, String consequence, java.util.function.Supplier<T> step) {
        try {
            return step.get();
        } catch (ServiceUnavailableException e) {
            if (!e.unavailable()) {
                throw e;
            }
            throw new ServiceUnavailableException(service, e.getMessage() + "; " + consequence
                    + ". Start it (`terok services up`) or opt out explicitly (--no-" + service + ")");
        }
    }

    private static void optedOut(String service, String name, String consequence, TaskWiring.Builder wiring, List<String> warnings) {
        String msg = "launched WITHOUT " + service + "-service by explicit opt-out: " + consequence;
        LOG.warnf("!!! task %s %s", name, msg);
        wiring.addOptedOut(service);
        warnings.add(msg);
    }

    public Task stop(String ref, int graceSeconds) {
        Task t = store.resolve(ref);
        requireContainer(t);
        podman.stop(t.getContainerId(), graceSeconds <= 0 ? 10 : graceSeconds);
        LOG.infof("stopped task %s (%s)", t.getId(), t.getName());
        return live(t);
    }

    public RemoveResponse remove(String ref, boolean force) {
        Task t = store.resolve(ref);
        Optional<ContainerInfo> info = t.getContainerId().isEmpty() ? Optional.empty() : podman.inspect(t.getContainerId());
        if (info.isPresent() && info.get().running() && !force) {
            throw new TaskConflictException("task " + t.getName() + " is running; stop it first or remove with force", false);
        }
        if (info.isPresent()) {
            try {
                podman.remove(t.getContainerId(), force);
            } catch (PodmanException e) {
                if (!e.notFound()) {
                    throw e;
                }
            }
        }
        List<String> warnings = release(t);
        if (warnings.isEmpty()) {
            store.delete(t.getId());
            LOG.infof("removed task %s (%s)", t.getId(), t.getName());
        } else {
            // Keep the record so a later remove retries exactly what is still held.
            store.save(t.toBuilder().clearWarnings().addAllWarnings(warnings).build());
            LOG.warnf("removed container of task %s but kept its record: %s", t.getName(), warnings);
        }
        return RemoveResponse.newBuilder().setId(t.getId()).addAllWarnings(warnings).build();
    }

    /**
     * Takes back the task's credentials (phantom tokens and SSH agent, gate token) and leaves the container running.
     * The record keeps its wiring, so a later remove releases the rest (revocation is idempotent), and gains a
     * warning that says when the credentials were revoked.
     */
    public RevokeCredentialsResponse revokeCredentials(String ref) {
        Task t = store.resolve(ref);
        TaskWiring w = t.getWiring();
        String id = t.getId();
        Map<String, Runnable> steps = new LinkedHashMap<>();
        if (!w.getVaultTokenIdsList().isEmpty() || w.getVaultSshAgent()) {
            steps.put("vault tokens and SSH agent", () -> services.revokeVaultTokens(id));
        }
        if (!w.getGateUrl().isEmpty()) {
            steps.put("gate token", () -> services.revokeGateToken(id));
        }
        RevokeCredentialsResponse.Builder out = RevokeCredentialsResponse.newBuilder().setId(id);
        List<String> failures = new ArrayList<>();
        steps.forEach((what, step) -> {
            if (attempt(failures, what, "revoke again", step)) {
                out.addRevoked(what);
            }
        });
        out.addAllFailures(failures);
        if (out.getRevokedCount() > 0) {
            String note = "credentials revoked by the operator (" + String.join(", ", out.getRevokedList()) + ")";
            if (!t.getWarningsList().contains(note)) {
                store.save(t.toBuilder().addWarnings(note).build());
            }
            LOG.warnf("task %s (%s): %s", id, t.getName(), note);
        }
        return out.build();
    }

    /** Gives back what the other services minted for the task; returns what could not be released. */
    private List<String> release(Task t) {
        List<String> failures = new ArrayList<>();
        TaskWiring w = t.getWiring();
        String id = t.getId();
        // The reverse of launch (vault, gate, shield, clearance).
        if (w.getClearanceRegistered()) {
            attempt(failures, "clearance registration", "run remove again", () -> services.unregisterClearance(id));
        }
        if (w.getShieldApplied()) {
            attempt(failures, "shield state", "run remove again", () -> services.releaseShield(id));
        }
        if (!w.getGateUrl().isEmpty()) {
            attempt(failures, "gate token", "run remove again", () -> services.revokeGateToken(id));
        }
        if (!w.getVaultTokenIdsList().isEmpty() || w.getVaultSshAgent()) {
            attempt(failures, "vault tokens and SSH agent", "run remove again", () -> services.revokeVaultTokens(id));
        }
        return failures;
    }

    /** Runs one release step; a service that is not there becomes a failure line naming the retry. */
    private static boolean attempt(List<String> failures, String what, String retry, Runnable r) {
        try {
            r.run();
            return true;
        } catch (ServiceUnavailableException e) {
            failures.add("could not release " + what + ": " + e.getMessage() + "; " + retry + " once it is back");
            return false;
        }
    }

    public List<Task> list(boolean all) {
        Map<String, ContainerInfo> byTask = new LinkedHashMap<>();
        for (ContainerInfo c : podman.list(TASK_LABEL)) {
            byTask.put(c.labels().getOrDefault(TASK_LABEL, ""), c);
        }
        List<Task> out = new ArrayList<>();
        for (Task t : store.all()) {
            Task live = withState(t, Optional.ofNullable(byTask.get(t.getId())));
            if (all || live.getState() == TaskState.TASK_STATE_RUNNING || live.getState() == TaskState.TASK_STATE_CREATED) {
                out.add(live);
            }
        }
        return out;
    }

    /** The task records as stored, without asking podman (for when podman does not answer). */
    public List<Task> records() {
        return store.all();
    }

    public Task inspect(String ref) {
        return live(store.resolve(ref));
    }

    public StreamHandle logs(String ref, boolean follow, int tail, OutputSink sink) {
        Task t = store.resolve(ref);
        requireContainer(t);
        return podman.logs(t.getContainerId(), follow, tail, t.getSpec().getTty(), sink);
    }

    public ExecResponse exec(String ref, List<String> command, Map<String, String> env, String workdir, int timeoutSeconds) {
        if (command.isEmpty()) {
            throw new InvalidSpecException("command", "must not be empty");
        }
        Task t = store.resolve(ref);
        requireContainer(t);
        PodmanApi.ExecResult r = podman.exec(t.getContainerId(), command, env, workdir,
                Duration.ofSeconds(timeoutSeconds <= 0 ? 60 : timeoutSeconds));
        return ExecResponse.newBuilder().setExitCode(r.exitCode())
                .setStdout(com.google.protobuf.ByteString.copyFrom(r.stdout()))
                .setStderr(com.google.protobuf.ByteString.copyFrom(r.stderr())).build();
    }

    public int waitExit(String ref, Duration timeout) {
        Task t = store.resolve(ref);
        requireContainer(t);
        return podman.waitExit(t.getContainerId(), timeout);
    }

    public StreamHandle events(String ref, Consumer<TaskEvent> sink, Consumer<Throwable> end) {
        String only = ref == null || ref.isEmpty() ? null : store.resolve(ref).getId();
        return podman.events(ev -> {
            TaskEvent e = toEvent(ev);
            if (e != null && !e.getTaskId().isEmpty() && (only == null || only.equals(e.getTaskId()))) {
                sink.accept(e);
            }
        }, end);
    }

    static TaskEvent toEvent(JsonObject ev) {
        String action = ev.getString("Action", ev.getString("status", ""));
        TaskEventKind kind = switch (action) {
            case "create" -> TaskEventKind.TASK_EVENT_KIND_CREATED;
            case "start" -> TaskEventKind.TASK_EVENT_KIND_STARTED;
            case "died" -> TaskEventKind.TASK_EVENT_KIND_DIED;
            case "stop" -> TaskEventKind.TASK_EVENT_KIND_STOPPED;
            case "remove" -> TaskEventKind.TASK_EVENT_KIND_REMOVED;
            case "restart" -> TaskEventKind.TASK_EVENT_KIND_RESTARTED;
            default -> null;
        };
        if (kind == null) {
            return null;
        }
        JsonObject actor = ev.getJsonObject("Actor", new JsonObject());
        JsonObject attrs = actor.getJsonObject("Attributes", new JsonObject());
        int exit = 0;
        Object code = attrs.getValue("containerExitCode");
        if (code != null) {
            try {
                exit = Integer.parseInt(String.valueOf(code));
            } catch (NumberFormatException ignored) {
                exit = -1;
            }
        }
        long nanos = ev.getLong("timeNano", ev.getLong("time", 0L) * 1_000_000_000L);
        return TaskEvent.newBuilder().setTaskId(attrs.getString(TASK_LABEL, "")).setName(attrs.getString("name", ""))
                .setKind(kind).setExitCode(exit)
                .setTime(Timestamp.newBuilder().setSeconds(nanos / 1_000_000_000L).setNanos((int) (nanos % 1_000_000_000L))).build();
    }

    private void requireContainer(Task t) {
        if (t.getContainerId().isEmpty()) {
            throw new TaskConflictException("task " + t.getName() + " has no container (its launch did not finish)", false);
        }
    }

    private Task live(Task t) {
        return withState(t, t.getContainerId().isEmpty() ? Optional.empty() : podman.inspect(t.getContainerId()));
    }

    private static Task withState(Task t, Optional<ContainerInfo> info) {
        Task.Builder b = t.toBuilder();
        if (info.isEmpty()) {
            return b.setState(TaskState.TASK_STATE_MISSING).build();
        }
        ContainerInfo c = info.get();
        b.setState(switch (c.status()) {
            case "running" -> TaskState.TASK_STATE_RUNNING;
            case "created", "configured", "initialized" -> TaskState.TASK_STATE_CREATED;
            case "paused" -> TaskState.TASK_STATE_PAUSED;
            case "exited", "stopped" -> TaskState.TASK_STATE_EXITED;
            default -> TaskState.TASK_STATE_UNSPECIFIED;
        }).setExitCode(c.exitCode());
        if (c.startedAt().getEpochSecond() > 0) {
            b.setStartedAt(ts(c.startedAt()));
        }
        if (c.finishedAt().getEpochSecond() > 0) {
            b.setFinishedAt(ts(c.finishedAt()));
        }
        return b.build();
    }

    private static Timestamp now() {
        return ts(Instant.now());
    }

    private static Timestamp ts(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    private static String newId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
