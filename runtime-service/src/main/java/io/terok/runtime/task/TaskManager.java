package io.terok.runtime.task;

import io.terok.api.v1.ExecResponse;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.RemoveResponse;
import io.terok.api.v1.RevokeCredentialsResponse;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskEvent;
import io.terok.api.v1.TaskState;
import io.terok.api.v1.TaskWiring;
import io.terok.common.ProtoTime;
import io.terok.common.Ids;
import io.terok.common.ServiceException;
import io.terok.runtime.compose.LaunchBarrier;
import io.terok.runtime.compose.LaunchComposition;
import io.terok.runtime.compose.LaunchContext;
import io.terok.runtime.compose.StartComposition;
import io.terok.runtime.compose.TaskServices;
import io.terok.runtime.compose.UndoStack;
import io.terok.runtime.compose.WiringRelease;
import io.terok.runtime.panic.PanicLock;
import io.terok.runtime.podman.ContainerInfo;
import io.terok.runtime.podman.HostProfile;
import io.terok.runtime.podman.OutputSink;
import io.terok.runtime.podman.PodmanApi;
import io.terok.runtime.podman.PodmanException;
import io.terok.runtime.podman.StreamHandle;
import io.terok.runtime.spec.ContainerPlan;
import io.terok.runtime.spec.LibpodSpecBuilder;
import io.terok.runtime.spec.RunSpecValidator;
import io.terok.runtime.spec.SeccompProfile;
import io.terok.runtime.trace.StepTimes;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The lifecycle of task containers: validate, reserve the name, have {@link LaunchComposition} wire the other
 * services, record, create and start; and the exact reverse on removal ({@link WiringRelease}). A launch that fails
 * at any step undoes every step before it, most recent first ({@link UndoStack}).
 */
public final class TaskManager {
    private static final Logger LOG = Logger.getLogger(TaskManager.class);
    /** Label every terok task container carries; its value is the task id. */
    public static final String TASK_LABEL = "io.terok.task";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PodmanApi podman;
    private final TaskStore store;
    private final RunSpecValidator validator;
    private final PanicLock panic;
    private final LaunchComposition composition;
    private final WiringRelease release;
    private final StartComposition starting;
    /** Names of launches in flight, so two launches cannot both pass the "name free" check. */
    private final Set<String> reservedNames = new HashSet<>();
    private final Path seccompDir;
    /** Test-only: holds a launch at a named step (inert unless the environment enables it). */
    private final LaunchBarrier barrier = LaunchBarrier.fromEnvironment();
    /** Told when a failed launch or removal could not give everything back, so its record is released later. */
    private volatile Runnable launchLeftBehind = () -> { };
    /** The parent cgroup of a new task container; empty: podman's default (see useCgroupParent). */
    private volatile Function<HostProfile, Optional<String>> cgroupParent = host -> Optional.empty();
    /** How long a launch naming the name of an auto-remove task being removed waits for that removal. */
    private static final Duration NAME_FREED = Duration.ofSeconds(30);
    /** Who removes the tasks launched with auto-remove once they have ended. */
    private final AutoRemoval autoRemoval;
    /** Every task's exit as podman reports it, for the follows of its output (one event stream for all tasks). */
    private final ExitWatch exits;

    /** @param seccompDir where the tasks' seccomp profiles are written: a directory podman reads at the same path */
    public TaskManager(PodmanApi podman, TaskStore store, TaskServices services, RunSpecValidator validator, PanicLock panic,
            Path seccompDir) {
        this(podman, store, services, validator, panic, seccompDir, Duration.ofSeconds(10));
    }

    /**
     * @param followerGrace how long the launcher of an auto-remove task may take to follow it before runtime waits for
     *                      its exit on a thread of its own
     */
    public TaskManager(PodmanApi podman, TaskStore store, TaskServices services, RunSpecValidator validator, PanicLock panic,
            Path seccompDir, Duration followerGrace) {
        this.autoRemoval = new AutoRemoval(new AutoRemoval.Hooks() {
            @Override
            public void awaitExit(String taskId) {
                awaitEnded(taskId);
            }

            @Override
            public void remove(String taskId) {
                removeEnded(taskId);
            }
        }, followerGrace, Duration.ofSeconds(2));
        this.podman = podman;
        this.exits = new ExitWatch(podman, Duration.ofSeconds(1));
        this.seccompDir = seccompDir;
        this.store = store;
        this.validator = validator;
        this.panic = panic;
        this.composition = new LaunchComposition(services, barrier);
        this.release = new WiringRelease(services);
        this.starting = new StartComposition(services);
    }

    /** podman's own waits beside the event stream ({@link #waitExit}): each blocks until its task's exit or timeout. */
    private static final java.util.concurrent.ExecutorService WAITS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "terok-podman-wait");
        t.setDaemon(true);
        return t;
    });

    public Task launch(LaunchRequest request) {
        return launch(request, newId());
    }

    /** A launch whose task id the caller chose ({@link #newTaskId}): agent tasks name their branch and files by it first. */
    public Task launch(LaunchRequest request, String id) {
        return launch(request, id, java.util.Set.of());
    }

    /**
     * @param ownedMounts host paths of the spec's volumes that runtime made for this task and podman is to chown to the
     *                    container's user ({@link ContainerPlan#withOwnedMounts}); in-process only, never from a client
     */
    public Task launch(LaunchRequest request, String id, java.util.Set<String> ownedMounts) {
        Ids.taskId("task_id", id);
        if (!request.hasRunSpec()) {
            throw ServiceException.invalid("run_spec", "is required");
        }
        panic.refuse("launching a task");
        StepTimes times = StepTimes.start("launch " + id);
        RunSpec spec = request.getRunSpec();
        ContainerPlan plan = validator.validate(spec).withOwnedMounts(ownedMounts);
        times.mark("validate");
        if (!podman.imageExists(plan.image())) {
            throw ServiceException.invalid("run_spec.image", "image '" + plan.image()
                    + "' is not in podman's local storage; build or pull it first (podman images lists what is there)");
        }
        String name = plan.name().isEmpty() ? "terok-" + id.substring(0, 12) : plan.name();
        times.mark("image exists");
        reserve(name);
        times.mark("name reserved");
        try {
            return launch(new LaunchContext(id, name, spec, plan, request.getOptOut(), podman.profile().hostLoopbackAddress()), times,
                    request.getAutoRemove());
        } finally {
            times.done();
            synchronized (reservedNames) {
                reservedNames.remove(name);
            }
        }
    }

    private void reserve(String name) {
        // `terok run --rm --name X` twice in a row: the first one's removal may still be under way after its client
        // returned (runtime removes it), so the name is waited for, as `podman run --rm` had waited before returning.
        store.all().stream().filter(t -> t.getName().equals(name) && autoRemoval.removing(t.getId())).findFirst()
                .ifPresent(t -> autoRemoval.awaitRemoved(t.getId(), NAME_FREED));
        synchronized (reservedNames) {
            if (reservedNames.contains(name) || store.all().stream().anyMatch(t -> t.getName().equals(name))
                    || podman.inspect(name).isPresent()) {
                throw ServiceException.exists("run_spec.name: a container named '" + name + "' already exists");
            }
            reservedNames.add(name);
        }
    }

    private Task launch(LaunchContext ctx, StepTimes times, boolean autoRemove) {
        String id = ctx.taskId();
        String name = ctx.name();
        List<String> warnings = new ArrayList<>();
        if (!podman.profile().initAvailable()) {
            warnings.add("no catatonit found for podman: the task runs without an init, so signals to PID 1 may be "
                    + "ignored and stop waits for the grace period (install catatonit)");
        }
        UndoStack undo = new UndoStack();
        try {
            // Written before any service is asked: if this process dies mid-launch, the next one finds the record
            // and undoes what the launch may have taken (reconcileInterruptedLaunches).
            Task.Builder record = Task.newBuilder().setId(id).setName(name).setImage(ctx.plan().image()).setSpec(ctx.spec())
                    .setCreatedAt(ProtoTime.of(Instant.now())).setLaunching(true).setAutoRemove(autoRemove)
                    .setWiring(TaskWiring.newBuilder().addAllOptedOut(WiringRelease.optedOut(ctx.optOut())));
            store.save(record.build());
            LaunchComposition.Composed composed = composition.compose(ctx, undo);
            times.mark("wiring");
            ContainerPlan plan = composed.plan();
            warnings.addAll(composed.warnings());
            record.setWiring(composed.wiring()).addAllWarnings(warnings);
            store.save(record.build());
            times.mark("record");

            HostProfile host = podman.profile();
            JsonObject libpodSpec = LibpodSpecBuilder.build(plan, name, Map.of(TASK_LABEL, id), host,
                    SeccompProfile.write(seccompDir, plan.seccompAllow()), cgroupParent.apply(host));
            barrier.at("before-create", id);
            PodmanApi.Created created = podman.create(libpodSpec);
            times.mark("create");
            undo.push("container", () -> podman.remove(created.id(), true));
            record.setContainerId(created.id()).addAllWarnings(created.warnings());
            store.save(record.build());
            barrier.at("after-create", id);

            times.mark("record");
            podman.start(created.id());
            times.mark("start");
            barrier.at("after-start", id);
            // A panic that began while this launch was under way may have listed the tasks before this one was
            // recorded: the launch is undone rather than left running outside the emergency stop.
            panic.refuse("launching a task");
            composition.confirmShieldLoaded(id, composed.wiring(), created.id());
            times.mark("shield confirmed");
            if (autoRemove) {
                // Before the record says "launched", so a reconciler pass never takes this task for one nobody handles.
                autoRemoval.launched(id);
            }
            record.setLaunching(false);
            store.save(record.build());
            LOG.infof("launched task %s (%s) image=%s network=%s opted-out=%s", id, name, plan.image(),
                    plan.network() ? "filtered" : "none", composed.wiring().getOptedOutList());
            return live(record.build());
        } catch (RuntimeException e) {
            autoRemoval.forget(id);
            LOG.warnf("launch of %s failed, undoing %s: %s", name, undo.held(), e.getMessage());
            List<String> notUndone = undo.unwind(name);
            if (notUndone.isEmpty()) {
                store.delete(id);
            } else {
                // A service that took part was gone when it should have given its part back (killed after its
                // step): the record stays, marked launching, so the reconciler releases the rest once it is back
                // and `terok ps -a` shows it meanwhile. Deleting it would leave that part held for good.
                LOG.warnf("launch of %s: could not give back %s yet; kept its record to release them later", name, notUndone);
                launchLeftBehind.run();
            }
            throw e;
        }
    }

    public Task stop(String ref, int graceSeconds) {
        Task t = store.resolve(ref);
        requireContainer(t);
        podman.stop(t.getContainerId(), graceSeconds <= 0 ? 10 : graceSeconds);
        LOG.infof("stopped task %s (%s)", t.getId(), t.getName());
        return live(t);
    }

    /**
     * Starts a stopped task again with the wiring it was launched with ({@link StartComposition}): nothing is minted,
     * every service the record names is checked first, and a container that came up without its firewall is stopped
     * again. A running task is returned as it is.
     */
    public Task start(String ref) {
        Task t = store.resolve(ref);
        if (t.getLaunching()) {
            throw ServiceException.precondition("task " + t.getName() + " is being launched, or its launch was cut off "
                    + "(runtime-service stopped in the middle): wait for it, or remove it (terok rm " + t.getName() + ")");
        }
        requireContainer(t);
        Optional<ContainerInfo> info = podman.inspect(t.getContainerId());
        if (info.isEmpty()) {
            throw ServiceException.precondition("task " + t.getName() + ": its container is gone (removed outside terok); "
                    + "remove the task (terok rm " + t.getName() + ") to release its wiring, and launch it again");
        }
        if (info.get().running()) {
            return live(t);
        }
        panic.refuse("starting a task");
        starting.prepare(t, podman.profile().hostLoopbackAddress());
        try {
            podman.start(t.getContainerId());
            // As in a launch: a panic that began meanwhile may have listed the tasks while this one was stopped.
            panic.refuse("starting a task");
            boolean running = podman.inspect(t.getContainerId()).map(ContainerInfo::running).orElse(false);
            starting.confirmShieldLoaded(t, running);
        } catch (RuntimeException e) {
            LOG.warnf("start of task %s (%s) failed, stopping its container again: %s", t.getId(), t.getName(), e.getMessage());
            try {
                podman.stop(t.getContainerId(), 0);
            } catch (RuntimeException again) {
                LOG.errorf("could not stop task %s after its failed start: %s", t.getName(), again.getMessage());
            }
            throw e;
        }
        LOG.infof("started task %s (%s) again%s", t.getId(), t.getName(),
                t.getWiring().getCredentialsRevoked() ? " (its credentials stay revoked)" : "");
        return live(t);
    }

    /** Stop (when it runs), then {@link #start}. */
    public Task restart(String ref, int graceSeconds) {
        Task t = store.resolve(ref);
        requireContainer(t);
        if (podman.inspect(t.getContainerId()).map(ContainerInfo::running).orElse(false)) {
            stop(t.getId(), graceSeconds);
        }
        return start(t.getId());
    }

    public RemoveResponse remove(String ref, boolean force) {
        Task t = store.resolve(ref);
        StepTimes times = StepTimes.start("remove " + t.getId());
        Optional<ContainerInfo> info = t.getContainerId().isEmpty() ? Optional.empty() : podman.inspect(t.getContainerId());
        times.mark("inspect");
        if (info.isPresent() && info.get().running() && !force) {
            throw ServiceException.precondition("task " + t.getName() + " is running; stop it first or remove with force");
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
        times.mark("container removed");
        List<String> warnings = t.getLaunching() ? release.releaseInterrupted(t) : release.releaseAll(t);
        times.mark("wiring released");
        if (warnings.isEmpty()) {
            store.delete(t.getId());
            LOG.infof("removed task %s (%s)", t.getId(), t.getName());
        } else {
            // Keep the record so a later remove retries exactly what is still held.
            store.save(t.toBuilder().clearWarnings().addAllWarnings(warnings).setReleasePending(true).build());
            LOG.warnf("removed container of task %s but kept its record: %s", t.getName(), warnings);
        }
        times.mark("record");
        times.done();
        return RemoveResponse.newBuilder().setId(t.getId()).addAllWarnings(warnings).build();
    }

    /**
     * A client follows the task's output to its exit code: for an auto-remove task the removal waits until the client
     * has had the exit code ({@link AutoRemoval.Follower#delivered}) or has gone.
     */
    public AutoRemoval.Follower followToExit(String ref) {
        return autoRemoval.follow(store.resolve(ref).getId());
    }

    /** Blocks until the task's container has exited or is gone (an auto-remove task's watcher). */
    private void awaitEnded(String taskId) {
        Optional<Task> t = store.get(taskId);
        if (t.isEmpty() || t.get().getContainerId().isEmpty()) {
            return;
        }
        while (true) {
            try {
                podman.waitExit(t.get().getContainerId(), Duration.ofHours(1));
                return;
            } catch (PodmanException e) {
                if (e.notFound()) {
                    return;
                }
                if (!e.timedOut()) {
                    throw e;
                }
            }
        }
    }

    /**
     * Removes an auto-remove task whose process has ended. What cannot be released now stays on the record
     * (release_pending) and the reconciler is told, so it is retried and `terok ps` shows it meanwhile.
     */
    private void removeEnded(String taskId) {
        if (store.get(taskId).isEmpty()) {
            return; // removed by the operator meanwhile
        }
        try {
            if (!remove(taskId, true).getWarningsList().isEmpty()) {
                launchLeftBehind.run();
            }
        } catch (RuntimeException e) {
            LOG.warnf("task %s ended but cannot be removed yet (retried): %s", taskId, e.getMessage());
            store.get(taskId).ifPresent(t -> store.save(t.toBuilder().setReleasePending(true).clearWarnings()
                    .addWarnings("could not remove the ended task: " + e.getMessage() + "; runtime retries, or run remove again")
                    .build()));
            launchLeftBehind.run();
        }
    }

    /**
     * Takes back the task's credentials (phantom tokens and SSH agent, gate token) and leaves the container running.
     * The record keeps its wiring, so a later remove releases the rest (revocation is idempotent), and gains a
     * warning that says when the credentials were revoked.
     */
    public RevokeCredentialsResponse revokeCredentials(String ref) {
        Task t = store.resolve(ref);
        RevokeCredentialsResponse out = release.revokeCredentials(t);
        TaskWiring w = t.getWiring();
        if (!w.getCredentialsRevoked() && (!w.getVaultTokenIdsList().isEmpty() || w.getVaultSshAgent() || !w.getGateUrl().isEmpty())) {
            // Recorded even when a service failed to revoke: a later start revokes again rather than check and use them.
            t = t.toBuilder().setWiring(w.toBuilder().setCredentialsRevoked(true)).build();
            store.save(t);
        }
        if (out.getRevokedCount() > 0) {
            String note = "credentials revoked by the operator (" + String.join(", ", out.getRevokedList()) + ")";
            if (!t.getWarningsList().contains(note)) {
                store.save(t.toBuilder().addWarnings(note).build());
            }
            LOG.warnf("task %s (%s): %s", t.getId(), t.getName(), note);
        }
        return out;
    }

    /** Where new task containers' cgroups go, decided at each launch (io.terok.common.TasksCgroup); never fails one. */
    public void useCgroupParent(Function<HostProfile, Optional<String>> parent) {
        cgroupParent = parent;
    }

    /**
     * Undoes the launches a previous runtime-service process did not finish (it was killed): each record still marked
     * launching whose name no launch of this process holds. Its labelled container is removed, every service its spec
     * may have wired is asked to release it (idempotent: a service that never heard of the task has nothing to give
     * back), and the record is deleted; while a service does not answer the record stays, for the next attempt.
     *
     * @return how many interrupted launches are still not undone
     */
    /** {@code r} is run when a failed launch left something held (see {@link #reconcileInterruptedLaunches}). */
    public void whenALaunchIsLeftBehind(Runnable r) {
        launchLeftBehind = r;
    }

    public int reconcileInterruptedLaunches() {
        int left = 0;
        for (Task t : store.all()) {
            if (!t.getLaunching()) {
                if ((t.getAutoRemove() || t.getReleasePending()) && !autoRemoval.handles(t.getId()) && !removeOrWatch(t)) {
                    left++;
                }
                continue;
            }
            synchronized (reservedNames) {
                if (reservedNames.contains(t.getName())) {
                    left++; // this process is launching it right now: settled once that launch returns
                    continue;
                }
            }
            try {
                for (ContainerInfo c : podman.list(TASK_LABEL)) {
                    if (t.getId().equals(c.labels().get(TASK_LABEL))) {
                        podman.remove(c.id(), true);
                    }
                }
            } catch (RuntimeException e) {
                LOG.warnf("interrupted launch of task %s (%s): cannot remove its container yet: %s", t.getId(), t.getName(),
                        e.getMessage());
                left++;
                continue;
            }
            List<String> failures = release.releaseInterrupted(t);
            if (failures.isEmpty()) {
                store.delete(t.getId());
                LOG.warnf("undid the interrupted launch of task %s (%s): container, tokens, gate token, firewall state and "
                        + "clearance registration released", t.getId(), t.getName());
            } else {
                left++;
                LOG.warnf("interrupted launch of task %s (%s) not yet undone: %s", t.getId(), t.getName(), failures);
            }
        }
        return left;
    }

    /**
     * An auto-remove task no one in this process handles (runtime restarted, or its removal failed), or a removal whose
     * release failed: removed again when its process has ended, watched when it still runs.
     *
     * @return false when something is still held (retried on the next pass)
     */
    private boolean removeOrWatch(Task t) {
        try {
            boolean running = !t.getReleasePending() && !t.getContainerId().isEmpty()
                    && podman.inspect(t.getContainerId()).map(ContainerInfo::running).orElse(false);
            if (running) {
                autoRemoval.watch(t.getId());
                return true;
            }
            List<String> warnings = remove(t.getId(), true).getWarningsList();
            if (warnings.isEmpty()) {
                LOG.infof("removed ended task %s (%s) and released its wiring", t.getId(), t.getName());
                return true;
            }
            return false;
        } catch (RuntimeException e) {
            LOG.warnf("task %s (%s): cannot remove it yet: %s", t.getId(), t.getName(), e.getMessage());
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
            if (all || live.getState() == TaskState.TASK_STATE_RUNNING || live.getState() == TaskState.TASK_STATE_CREATED
                    || t.getReleasePending()) {
                out.add(live);
            }
        }
        return out;
    }

    /** The task record files that could not be read, each with why. */
    public List<String> unreadableRecords() {
        return store.unreadable();
    }

    /** The task records as stored, without asking podman (for when podman does not answer). */
    public List<Task> records() {
        return store.all();
    }

    public Task inspect(String ref) {
        return live(store.resolve(ref));
    }

    /**
     * The task's output; followed, it ends at the task's exit. podman 4.3 ends a followed log only ~0.5 s after the
     * container's exit (it polls its event log for the exit, then the log file), also for a container that had exited
     * before the call (docs/benchmarks.md, seventh and eighth sessions). So an exited task's log is read to its end
     * without follow (it is complete), and the follow of a running one is cut at its exit, which runtime's own event
     * stream tells at once ({@link ExitWatch}), and the rest read without follow ({@link OutputHandover}: whole, in
     * order, once, one end). A tail has no fixed start to resume from: it keeps podman's follow to its end.
     */
    public StreamHandle logs(String ref, boolean follow, int tail, OutputSink sink) {
        Task t = store.resolve(ref);
        requireContainer(t);
        String container = t.getContainerId();
        boolean tty = t.getSpec().getTty();
        if (!follow) {
            return podman.logs(container, false, tail, tty, sink);
        }
        // Watched before the inspect: an exit after the inspect is then on the stream.
        CompletableFuture<Integer> exit = tail > 0 ? null : exits.exitOf(container);
        Optional<ContainerInfo> info = podman.inspect(container);
        if (info.isPresent() && info.get().ended()) {
            exits.ended(container, info.get().exitCode());
            return podman.logs(container, false, tail, tty, sink);
        }
        if (exit == null) {
            return podman.logs(container, true, tail, tty, sink);
        }
        OutputHandover handover = new OutputHandover(sink);
        StreamHandle following = podman.logs(container, true, 0, tty, handover.follow());
        CompletableFuture<StreamHandle> rest = exit.handle((code, error) -> {
            if (error == null && handover.cut()) {
                following.close();
                return podman.logs(container, false, 0, tty, handover.rest());
            }
            return null;
        });
        return () -> {
            following.close();
            rest.thenAccept(h -> {
                if (h != null) {
                    h.close();
                }
            });
        };
    }

    /**
     * The task's exit code once podman reports its exit (at once: {@link ExitWatch}); completed exceptionally when its
     * container is removed first. Whether it had exited before this call is the caller's to check.
     */
    public CompletableFuture<Integer> exitOf(String ref) {
        Task t = store.resolve(ref);
        requireContainer(t);
        return exits.exitOf(t.getContainerId());
    }

    public ExecResponse exec(String ref, List<String> command, Map<String, String> env, String workdir, int timeoutSeconds) {
        if (command.isEmpty()) {
            throw ServiceException.invalid("command", "must not be empty");
        }
        Task t = store.resolve(ref);
        requireContainer(t);
        PodmanApi.ExecResult r = podman.exec(t.getContainerId(), command, env, workdir,
                Duration.ofSeconds(timeoutSeconds <= 0 ? 60 : timeoutSeconds));
        return ExecResponse.newBuilder().setExitCode(r.exitCode())
                .setStdout(com.google.protobuf.ByteString.copyFrom(r.stdout()))
                .setStderr(com.google.protobuf.ByteString.copyFrom(r.stderr())).build();
    }

    /**
     * The task's exit code once it has exited: from runtime's event stream ({@link ExitWatch}) as soon as podman reports
     * the exit, or from podman's own wait, whichever answers first. podman 4.3's wait returns only once its exit command
     * has let go of the container's lock, 0.3-0.37 s after the exit against 0.1-0.3 s for the {@code died} event
     * (docs/benchmarks.md, eighth session); the wait stays for what the stream cannot tell (it is down, the container
     * is gone, the timeout), and its answer or failure is the call's when the event has not come first.
     */
    public int waitExit(String ref, Duration timeout) {
        Task t = store.resolve(ref);
        requireContainer(t);
        String container = t.getContainerId();
        CompletableFuture<Integer> event = exits.exitOf(container);
        CompletableFuture<Integer> first = new CompletableFuture<>();
        event.thenAccept(first::complete); // a removal (completed exceptionally) is left to podman's wait to tell
        CompletableFuture.supplyAsync(() -> podman.waitExit(container, timeout), WAITS).whenComplete((code, error) -> {
            if (error == null) {
                first.complete(code);
            } else {
                first.completeExceptionally(error instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                        ? c.getCause() : error);
            }
        });
        try {
            int code = first.join();
            exits.ended(container, code); // podman's wait answered first: the exit is no longer watched
            return code;
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    public StreamHandle events(String ref, Consumer<TaskEvent> sink, Consumer<Throwable> end) {
        String only = ref == null || ref.isEmpty() ? null : store.resolve(ref).getId();
        return podman.events(ev -> {
            TaskEvent e = TaskEvents.fromPodman(ev);
            if (e != null && !e.getTaskId().isEmpty() && (only == null || only.equals(e.getTaskId()))) {
                sink.accept(e);
            }
        }, () -> { }, end);
    }

    private void requireContainer(Task t) {
        if (t.getContainerId().isEmpty()) {
            throw ServiceException.precondition("task " + t.getName() + " has no container (its launch did not finish)");
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
            b.setStartedAt(ProtoTime.of(c.startedAt()));
        }
        if (c.finishedAt().getEpochSecond() > 0) {
            b.setFinishedAt(ProtoTime.of(c.finishedAt()));
        }
        return b.build();
    }

    /** Where a task container reaches the host's loopback (10.0.2.2 slirp4netns, 169.254.1.2 pasta). */
    public String hostLoopbackAddress() {
        return podman.profile().hostLoopbackAddress();
    }

    public static String newTaskId() {
        return newId();
    }

    private static String newId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
