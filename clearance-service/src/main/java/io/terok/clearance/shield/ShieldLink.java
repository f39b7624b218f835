package io.terok.clearance.shield;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.BlockedConnection;
import io.terok.api.v1.BlockedEventsRequest;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.ShieldState;
import io.terok.api.v1.TargetRequest;
import io.terok.clearance.StreamFollower;
import io.terok.clearance.domain.Clearance;
import io.terok.clearance.domain.Destination;
import io.terok.clearance.domain.FirewallControl;
import io.terok.common.grpc.HealthProbe;
import io.terok.common.grpc.ServiceChannel;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Clearance's connection to shield: applies verdicts (Allow/Deny) and follows shield's blocked-connection
 * stream for every task, reconnecting with a growing pause while shield is down.
 */
public final class ShieldLink implements FirewallControl, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ShieldLink.class);
    private final Path socket;
    private final long deadlineMillis;
    private final ServiceChannel channel;
    private final StreamFollower follower;
    private volatile boolean connected;
    private volatile String detail = "not connected yet";

    public ShieldLink(Path socket, long deadlineMillis) {
        this(socket, deadlineMillis, new StreamFollower());
    }

    public ShieldLink(Path socket, long deadlineMillis, StreamFollower follower) {
        this.socket = socket;
        this.follower = follower;
        this.deadlineMillis = deadlineMillis;
        this.channel = new ServiceChannel(socket);
    }

    /** Shield restarted since a failed call or a lost stream answers now, not after gRPC's reconnect backoff. */
    private ManagedChannel channel() {
        return channel.get();
    }

    @Override
    public void allow(String taskId, String ip, int port, String protocol) {
        apply("allow", () -> ShieldServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
                .allow(TargetRequest.newBuilder().setTaskId(taskId).setTarget(ip).setPort(port).setProtocol(protocol).build()));
    }

    @Override
    public void deny(String taskId, String target) {
        apply("deny", () -> ShieldServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
                .deny(TargetRequest.newBuilder().setTaskId(taskId).setTarget(target).build()));
    }

    private static void apply(String what, Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            Status s = e.getStatus();
            throw new IllegalStateException(what + " failed: " + s.getCode()
                    + (s.getDescription() == null ? "" : " " + s.getDescription()), e);
        }
    }

    /** Starts following shield's blocked-connection events into clearance. */
    public void follow(Clearance clearance) {
        follower.start("clearance-shield-events", () -> session(clearance));
    }

    private void session(Clearance clearance) {
        try {
            // The stream call itself returns before anything is connected; health says whether shield is there.
            HealthProbe.Result health = HealthProbe.check(socket, 2000);
            if (!health.serving()) {
                detail = "shield is not serving (" + health.detail() + ")";
                return;
            }
            Iterator<BlockedConnection> it = ShieldServiceGrpc.newBlockingStub(channel())
                    .blockedEvents(BlockedEventsRequest.getDefaultInstance());
            LOG.info("following shield's blocked connections on " + socket);
            connected = true;
            detail = "following blocked connections on " + socket;
            while (it.hasNext()) {
                BlockedConnection b = it.next();
                if (b.getShieldState() != ShieldState.SHIELD_STATE_UNSPECIFIED) {
                    if (b.getShieldState() != ShieldState.SHIELD_STATE_UP) {
                        int n = clearance.dropPending(b.getTaskId(), "the task's shield is now "
                                + b.getShieldState().name().replace("SHIELD_STATE_", "").toLowerCase());
                        if (n > 0) {
                            LOG.infof("shield of task %s changed to %s: dropped %d pending request(s)", b.getTaskId(),
                                    b.getShieldState(), n);
                        }
                    }
                    continue;
                }
                clearance.blocked(b.getTaskId(), new Destination(b.getDestinationIp(), b.getDestinationPort(),
                        b.getProtocol().isEmpty() ? "tcp" : b.getProtocol()), b.getDomain(), b.getCount());
            }
        } catch (StatusRuntimeException e) {
            if (connected) {
                LOG.warnf("lost shield's event stream (%s); reconnecting", e.getStatus().getCode());
            }
            detail = "shield not answering on " + socket + " (" + e.getStatus().getCode() + ")";
        } finally {
            connected = false;
        }
    }

    public boolean connected() {
        return connected;
    }

    public String detail() {
        return detail;
    }

    @Override
    public void close() {
        follower.close();
        channel.close();
    }
}
