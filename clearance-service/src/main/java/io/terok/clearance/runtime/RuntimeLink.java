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
import io.terok.common.grpc.ServiceChannel;
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
    private final StreamFollower follower;
    private final ServiceChannel channel;

    public RuntimeLink(Path socket) {
        this(socket, new StreamFollower());
    }

    public RuntimeLink(Path socket, StreamFollower follower) {
        this.socket = socket;
        this.follower = follower;
        this.channel = new ServiceChannel(socket);
    }

    public void follow(Clearance clearance) {
        follower.start("clearance-runtime-events", () -> session(clearance));
    }

    private void session(Clearance clearance) {
        // Runtime restarted since the stream was lost is subscribed to again now, not after gRPC's reconnect backoff.
        ManagedChannel ch = channel.get();
        Iterator<TaskEvent> it = RuntimeServiceGrpc.newBlockingStub(ch).events(EventsRequest.getDefaultInstance());
        relearn(ch, clearance);
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
    private void relearn(ManagedChannel ch, Clearance clearance) {
        ListTasksResponse tasks = RuntimeServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
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
    public void close() {
        follower.close();
        channel.close();
    }
}
