package io.terok.clearance.runtime;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.EventsRequest;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.TaskEvent;
import io.terok.api.v1.TaskEventKind;
import io.terok.clearance.domain.Clearance;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Path;
import java.util.Iterator;
import org.jboss.logging.Logger;

/** Follows runtime's task events so requests of a task that stopped are dropped, not left dangling. */
public final class RuntimeLink implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RuntimeLink.class);
    private final Path socket;
    private volatile Thread follower;
    private ManagedChannel channel;

    public RuntimeLink(Path socket) {
        this.socket = socket;
    }

    public void follow(Clearance clearance) {
        Thread t = new Thread(() -> loop(clearance), "clearance-runtime-events");
        t.setDaemon(true);
        follower = t;
        t.start();
    }

    private void loop(Clearance clearance) {
        long pause = 200;
        while (follower == Thread.currentThread()) {
            try {
                synchronized (this) {
                    if (channel == null) {
                        channel = UnixChannels.open(socket);
                    }
                }
                Iterator<TaskEvent> it = RuntimeServiceGrpc.newBlockingStub(channel).events(EventsRequest.getDefaultInstance());
                pause = 200;
                while (it.hasNext()) {
                    TaskEvent e = it.next();
                    if (e.getKind() == TaskEventKind.TASK_EVENT_KIND_DIED || e.getKind() == TaskEventKind.TASK_EVENT_KIND_STOPPED) {
                        int n = clearance.dropPending(e.getTaskId(), "the task stopped");
                        if (n > 0) {
                            LOG.infof("task %s stopped: dropped %d pending request(s)", e.getTaskId(), n);
                        }
                    }
                }
            } catch (StatusRuntimeException e) {
                LOG.debugf("runtime event stream: %s", e.getStatus());
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
            pause = Math.min(pause * 2, 5_000);
        }
    }

    @Override
    public synchronized void close() {
        Thread t = follower;
        follower = null;
        if (t != null) {
            t.interrupt();
        }
        if (channel != null) {
            channel.shutdownNow();
        }
    }
}
