package io.terok.runtime.task;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Who removes an auto-remove task ({@code terok run --rm}) once its main process has ended, so that the client returns
 * with the output and the exit code instead of waiting for the container's removal and the wiring's release.
 *
 * <p>The removal starts when the exit has been seen and no client is still following the task's output (removing the
 * container earlier would cut the output short). The exit is seen by the client's follow call (the usual case: it
 * answers the exit code, then the removal starts), or by a watcher thread of runtime's own, started when no client
 * follows within {@link #followerGrace} of the launch or the only follower went away before the exit (a killed client).
 * A watcher holds one podman connection for the task's life, so the usual case does without one.
 */
public final class AutoRemoval {
    private static final Logger LOG = Logger.getLogger(AutoRemoval.class);

    /** What the removal needs from podman and the task manager. */
    public interface Hooks {
        /** Blocks until the container has exited (or is gone); throws when podman cannot be asked. */
        void awaitExit(String taskId);

        /** Removes the exited task and releases its wiring; failures are the remover's to record and retry. */
        void remove(String taskId);
    }

    /** A client following a task to its exit code: told how the following ended, exactly once. */
    public interface Follower {
        /** The exit code reached the client: the removal may start once no other follower is left. */
        void delivered();

        /** The client went away (or the follow failed) before the exit: runtime waits for the exit itself. */
        void gone();
    }

    private static final Follower NOBODY = new Follower() {
        @Override
        public void delivered() {
        }

        @Override
        public void gone() {
        }
    };

    private static final class Watch {
        int followers;
        boolean followedOnce;
        boolean exitSeen;
        boolean watcher;
        boolean removing;
    }

    private final Hooks hooks;
    private final Duration followerGrace;
    private final Duration watcherRetry;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "terok-auto-remove-timer"));

    /**
     * @param followerGrace how long after the launch a client may take to start following before runtime watches
     * @param watcherRetry  the pause before a watcher asks podman again after podman failed to answer
     */
    public AutoRemoval(Hooks hooks, Duration followerGrace, Duration watcherRetry) {
        this.hooks = hooks;
        this.followerGrace = followerGrace;
        this.watcherRetry = watcherRetry;
    }

    /** A task launched with auto-remove: its launcher is given {@link #followerGrace} to follow it. */
    public void launched(String taskId) {
        watches.put(taskId, new Watch());
        timer.schedule(() -> {
            Watch w = watches.get(taskId);
            if (w != null) {
                synchronized (w) {
                    if (!w.followedOnce) {
                        startWatcher(taskId, w);
                    }
                }
            }
        }, followerGrace.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A task whose process this runtime must see end (found running when runtime started): watched at once. */
    public void watch(String taskId) {
        Watch w = new Watch();
        if (watches.putIfAbsent(taskId, w) == null) {
            synchronized (w) {
                startWatcher(taskId, w);
            }
        }
    }

    /** Whether this process is taking care of the task's removal (so a reconciler leaves it alone). */
    public boolean handles(String taskId) {
        return watches.containsKey(taskId);
    }

    /**
     * A client starts following the task to its exit code. Tasks without auto-remove (or whose removal has begun) get a
     * follower that does nothing.
     */
    public Follower follow(String taskId) {
        Watch w = watches.get(taskId);
        if (w == null) {
            return NOBODY;
        }
        synchronized (w) {
            if (w.removing) {
                return NOBODY;
            }
            w.followers++;
            w.followedOnce = true;
        }
        return new Follower() {
            private boolean told;

            @Override
            public void delivered() {
                end(true);
            }

            @Override
            public void gone() {
                end(false);
            }

            private void end(boolean exited) {
                synchronized (w) {
                    if (told) {
                        return;
                    }
                    told = true;
                    w.followers--;
                    w.exitSeen |= exited;
                    if (!w.exitSeen && w.followers == 0) {
                        startWatcher(taskId, w);
                    }
                    removeIfDone(taskId, w);
                }
            }
        };
    }

    /** Waits (at most {@code bound}) until this process has finished removing the task; true when it is not handling it. */
    public boolean awaitRemoved(String taskId, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (watches.containsKey(taskId)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Whether the task's process has ended and its removal is under way (not merely launched or running). */
    public boolean removing(String taskId) {
        Watch w = watches.get(taskId);
        if (w == null) {
            return false;
        }
        synchronized (w) {
            return w.removing || w.exitSeen;
        }
    }

    private void startWatcher(String taskId, Watch w) {
        if (w.watcher || w.exitSeen) {
            return;
        }
        w.watcher = true;
        Thread t = daemon(() -> {
            while (true) {
                try {
                    hooks.awaitExit(taskId);
                    break;
                } catch (RuntimeException e) {
                    LOG.debugf("auto-remove of task %s: cannot wait for its exit yet: %s", taskId, e.getMessage());
                    try {
                        Thread.sleep(watcherRetry.toMillis());
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }
            synchronized (w) {
                w.exitSeen = true;
                removeIfDone(taskId, w);
            }
        }, "terok-auto-remove-" + taskId.substring(0, Math.min(12, taskId.length())));
        t.start();
    }

    private void removeIfDone(String taskId, Watch w) {
        if (!w.exitSeen || w.followers > 0 || w.removing) {
            return;
        }
        w.removing = true;
        daemon(() -> {
            try {
                hooks.remove(taskId);
            } catch (RuntimeException e) {
                LOG.warnf("auto-remove of task %s failed: %s", taskId, e.getMessage());
            } finally {
                watches.remove(taskId);
            }
        }, "terok-auto-remove-" + taskId.substring(0, Math.min(12, taskId.length()))).start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Stops the timer (tests and shutdown); watchers are daemons. */
    public void close() {
        timer.shutdownNow();
    }

    /** A launch that was undone: nothing of it is left to remove. */
    public void forget(String taskId) {
        watches.remove(taskId);
    }
}
