package io.terok.clearance.runtime;

import io.grpc.ManagedChannel;
import io.terok.api.v1.EventsRequest;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.ListTasksResponse;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskEvent;
import io.terok.api.v1.TaskEventKind;
import io.terok.clearance.StreamFollower;
import io.terok.clearance.domain.Clearance;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Follows runtime's task events so requests of a task that stopped are dropped, not left dangling; and at each
 * (re)connection learns the running tasks registered with clearance, which a restart of clearance forgets.
 */
public final class RuntimeLink implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RuntimeLink.class);
    private final Path socket;
    private final StreamFollower follower = new StreamFollower();
    private ManagedChannel channel;

    public RuntimeLink(Path socket) {
        this.socket = socket;
    }

    public void follow(Clearance clearance) {
        follower.start("clearance-runtime-events", () -> session(clearance));
    }

    private void session(Clearance clearance) {
        synchronized (this) {
            if (channel == null) {
                channel = UnixChannels.open(socket);
            }
        }
        Iterator<TaskEvent> it = RuntimeServiceGrpc.newBlockingStub(channel).events(EventsRequest.getDefaultInstance());
        relearn(clearance);
        while (it.hasNext()) {
            TaskEvent e = it.next();
            if (e.getKind() == TaskEventKind.TASK_EVENT_KIND_DIED || e.getKind() == TaskEventKind.TASK_EVENT_KIND_STOPPED) {
                int n = clearance.dropPending(e.getTaskId(), "the task stopped");
                if (n > 0) {
                    LOG.infof("task %s stopped: dropped %d pending request(s)", e.getTaskId(), n);
                }
            }
        }
    }

    /**
     * Registrations live in memory only: after clearance restarted (or runtime did), the running tasks registered with
     * it are learned again from runtime's records, so their requests name them as before. Subscribed first, listed
     * second: a task that stops in between is still dropped by its event.
     */
    private void relearn(Clearance clearance) {
        ListTasksResponse tasks = RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .list(ListTasksRequest.getDefaultInstance());
        int n = 0;
        for (Task t : tasks.getTasksList()) {
            if (t.getWiring().getClearanceRegistered()) {
                clearance.registerTask(t.getId(), t.getName(), t.getSpec().getProject());
                n++;
            }
        }
        if (n > 0) {
            LOG.infof("registered %d running task(s) again from runtime's records", n);
        }
    }

    @Override
    public synchronized void close() {
        follower.close();
        if (channel != null) {
            channel.shutdownNow();
        }
    }
}
