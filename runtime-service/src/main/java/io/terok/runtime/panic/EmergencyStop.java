package io.terok.runtime.panic;

import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.PanicReport;
import io.terok.api.v1.PanicState;
import io.terok.api.v1.PanicTaskOutcome;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskState;
import io.terok.common.ProtoTime;
import io.terok.runtime.compose.TaskServices;
import io.terok.runtime.podman.PodmanApi;
import io.terok.runtime.task.TaskManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jboss.logging.Logger;

/**
 * {@code terok panic}: stop everything an agent could be doing, now. The panic lock goes first, so no new task
 * appears behind the stop's back; then every live task is contained and the vault held locked, all at once (one
 * slow or dead service must not delay the rest), and each step is reported. A task is contained when its shield
 * blocks everything, when it has no network, or when it is killed; a task that cannot be contained otherwise (no
 * shield, or the block failed) is killed: fail closed. Nothing is removed and no token revoked: the operator
 * looks at what happened before cleaning up.
 */
public final class EmergencyStop {
    private static final Logger LOG = Logger.getLogger(EmergencyStop.class);
    private final PanicLock lock;
    private final TaskManager tasks;
    private final PodmanApi podman;
    private final TaskServices services;

    public EmergencyStop(PanicLock lock, TaskManager tasks, PodmanApi podman, TaskServices services) {
        this.lock = lock;
        this.tasks = tasks;
        this.podman = podman;
        this.services = services;
    }

    public PanicLock lock() {
        return lock;
    }

    public PanicReport engage(boolean stopAll) {
        PanicReport.Builder report = PanicReport.newBuilder();
        try {
            lock.engage();
        } catch (RuntimeException e) {
            report.setLockError("the panic lock could not be saved (" + e.getMessage() + "): launches are refused until"
                    + " runtime-service restarts, not after");
        }
        List<Task> live;
        try {
            live = tasks.list(true);
        } catch (RuntimeException e) {
            // podman does not answer: the records still say which shields to block; kills will report their failure
            LOG.errorf("panic: cannot ask podman for the tasks' state (%s); acting on the task records", e.getMessage());
            live = tasks.records();
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, live.size() + 1), r -> {
            Thread t = new Thread(r, "panic");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<String> vault = pool.submit(this::holdVault);
            List<Future<PanicTaskOutcome>> outcomes = new ArrayList<>();
            for (Task t : live) {
                outcomes.add(pool.submit(() -> contain(t, stopAll)));
            }
            for (Future<PanicTaskOutcome> f : outcomes) {
                report.addTasks(result(f));
            }
            String vaultError = result(vault);
            report.setVaultHeld(vaultError.isEmpty()).setVaultError(vaultError);
        } finally {
            pool.shutdownNow();
        }
        report.setState(state());
        long uncontained = report.getTasksList().stream().filter(o -> !o.getContained()).count();
        LOG.warnf("PANIC: %d task(s) looked at, %d not contained; vault %s", report.getTasksCount(), uncontained,
                report.getVaultHeld() ? "held locked" : "NOT held: " + report.getVaultError());
        return report.build();
    }

    public PanicState clear() {
        lock.clear();
        return state();
    }

    public PanicState state() {
        PanicState.Builder b = PanicState.newBuilder();
        lock.since().ifPresent(s -> b.setActive(true).setSince(ProtoTime.of(s)));
        return b.build();
    }

    private String holdVault() {
        try {
            services.holdVault();
            return "";
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    PanicTaskOutcome contain(Task t, boolean stopAll) {
        PanicTaskOutcome.Builder out = PanicTaskOutcome.newBuilder().setTaskId(t.getId()).setName(t.getName());
        TaskState state = t.getState();
        if (state == TaskState.TASK_STATE_EXITED || state == TaskState.TASK_STATE_MISSING) {
            return out.setContained(true).setDetail(state == TaskState.TASK_STATE_MISSING ? "no container" : "not running").build();
        }
        List<String> notes = new ArrayList<>();
        boolean contained = false;
        if (t.getWiring().getShieldApplied()) {
            try {
                services.blockShield(t.getId());
                out.setBlocked(true);
                contained = true;
            } catch (RuntimeException e) {
                notes.add("the firewall could not be blocked: " + e.getMessage());
            }
        } else if (t.getSpec().getNetwork() != NetworkMode.NETWORK_MODE_NONE) {
            notes.add("unfiltered network (launched without shield)");
        } else {
            notes.add("no network");
            contained = true;
        }
        if ((stopAll || !contained) && !t.getContainerId().isEmpty()) {
            try {
                podman.stop(t.getContainerId(), 0);
                out.setStopped(true);
                contained = true;
            } catch (RuntimeException e) {
                notes.add("could not be killed: " + e.getMessage());
            }
        }
        if (!contained) {
            LOG.errorf("PANIC: task %s (%s) is NOT contained: %s", t.getId(), t.getName(), notes);
        }
        return out.setContained(contained).setDetail(String.join("; ", notes)).build();
    }

    private static <T> T result(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the emergency stop", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        }
    }
}
