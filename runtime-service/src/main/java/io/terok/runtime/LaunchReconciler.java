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

    void onStart(@Observes StartupEvent ev, Instance<TaskManager> tasks) {
        Thread t = new Thread(() -> run(tasks), "terok-launch-reconciler");
        t.setDaemon(true);
        t.start();
    }

    private static void run(Instance<TaskManager> tasks) {
        for (int i = 0; i < ATTEMPTS; i++) {
            try {
                if (tasks.get().reconcileInterruptedLaunches() == 0) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.debugf("undoing interrupted launches: %s", e.getMessage());
            }
            try {
                Thread.sleep(PAUSE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
        LOG.warnf("some interrupted launches could not be undone (a service did not answer): `terok ps -a` lists them; "
                + "`terok rm TASK` releases them once the services are back");
    }
}
