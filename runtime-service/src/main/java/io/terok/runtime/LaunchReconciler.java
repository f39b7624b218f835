package io.terok.runtime;

import io.quarkus.runtime.StartupEvent;
import io.terok.runtime.task.TaskManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.jboss.logging.Logger;

/**
 * When runtime-service starts: undoes the launches a previous process did not finish ({@link
 * TaskManager#reconcileInterruptedLaunches}). In the background and retried for two minutes, because the services
 * that must release the task's wiring are started beside runtime-service, not before it.
 */
@ApplicationScoped
public class LaunchReconciler {
    private static final Logger LOG = Logger.getLogger(LaunchReconciler.class);
    private static final int ATTEMPTS = 60;
    private static final long PAUSE_MILLIS = 2000;

    /** A pass is under way (at most one thread at a time). */
    private boolean running;
    /** Asked for again while a pass was under way: that pass goes on instead of ending. */
    private boolean requested;

    void onStart(@Observes StartupEvent ev, Instance<TaskManager> tasks) {
        kick(tasks);
    }

    /** Starts undoing interrupted launches in the background, or makes the pass under way look again. */
    synchronized void kick(Instance<TaskManager> tasks) {
        requested = true;
        if (running) {
            return;
        }
        running = true;
        Thread t = new Thread(() -> run(tasks), "terok-launch-reconciler");
        t.setDaemon(true);
        t.start();
    }

    private synchronized boolean another() {
        if (requested) {
            requested = false;
            return true;
        }
        running = false;
        return false;
    }

    private void run(Instance<TaskManager> tasks) {
        boolean registered = false;
        int attempt = 0;
        while (attempt < ATTEMPTS) {
            int left;
            synchronized (this) {
                requested = false;
            }
            try {
                TaskManager tm = tasks.get();
                if (!registered) {
                    // A launch that fails later in this process and cannot give everything back (a service killed
                    // after its step) leaves its record to be released here once that service is back.
                    tm.whenALaunchIsLeftBehind(() -> kick(tasks));
                    registered = true;
                }
                left = tm.reconcileInterruptedLaunches();
            } catch (RuntimeException e) {
                LOG.debugf("undoing interrupted launches: %s", e.getMessage());
                left = -1;
            }
            if (left == 0) {
                if (another()) {
                    attempt = 0;
                    continue;
                }
                return;
            }
            attempt++;
            try {
                Thread.sleep(PAUSE_MILLIS);
            } catch (InterruptedException e) {
                synchronized (this) {
                    running = false;
                }
                return;
            }
        }
        synchronized (this) {
            running = false;
        }
        LOG.warnf("some interrupted launches could not be undone (a service did not answer): `terok ps -a` lists them; "
                + "`terok rm TASK` releases them once the services are back");
    }
}
