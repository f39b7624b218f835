package io.terok.clearance.shield;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.terok.api.v1.BlockedConnection;
import io.terok.api.v1.BlockedEventsRequest;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.ShieldStatus;
import io.terok.api.v1.TargetRequest;
import io.terok.clearance.StreamFollower;
import io.terok.clearance.domain.Clearance;
import io.terok.clearance.domain.PendingRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shield killed and started again takes clearance's very next verdict, over a real gRPC server on a Unix socket.
 * Before, clearance's channel waited out gRPC's reconnect backoff (1 s growing to two minutes) and an Allow clicked
 * meanwhile failed with UNAVAILABLE although shield was back, and shield's blocked connections reached the operator
 * only once that backoff ran out.
 */
class ShieldBackTest {
    private static final String TASK = "0123456789abcdef0123456789abcdef";

    private static Server shield(Path socket, EventLoopGroup group, List<String> allowed) throws Exception {
        return shield(socket, group, allowed, null);
    }

    /** A shield that takes Allows and, when {@code blockedIp} is given, tells each subscriber it blocked that address. */
    private static Server shield(Path socket, EventLoopGroup group, List<String> allowed, String blockedIp) throws Exception {
        return NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(new HealthGrpc.HealthImplBase() {
                    @Override
                    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
                        out.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
                        out.onCompleted();
                    }
                })
                .addService(new ShieldServiceGrpc.ShieldServiceImplBase() {
                    @Override
                    public void blockedEvents(BlockedEventsRequest request, StreamObserver<BlockedConnection> out) {
                        if (blockedIp != null) {
                            out.onNext(BlockedConnection.newBuilder().setTaskId(TASK).setDestinationIp(blockedIp)
                                    .setDestinationPort(443).setProtocol("tcp").setCount(1).build());
                        }
                    }

                    @Override
                    public void allow(TargetRequest r, StreamObserver<ShieldStatus> out) {
                        allowed.add(r.getTaskId() + " " + r.getTarget() + " " + r.getPort() + "/" + r.getProtocol());
                        out.onNext(ShieldStatus.getDefaultInstance());
                        out.onCompleted();
                    }
                }).build().start();
    }

    @Test
    void aVerdictReachesAShieldStartedAgainAtOnce(@TempDir Path dir) throws Exception {
        EventLoopGroup group = new EpollEventLoopGroup(1);
        Path socket = dir.resolve("shield.sock");
        List<String> allowed = new CopyOnWriteArrayList<>();
        ShieldLink link = new ShieldLink(socket, 5000);
        try {
            Server first = shield(socket, group, allowed);
            link.allow(TASK, "198.18.0.7", 443, "tcp");
            assertEquals(List.of(TASK + " 198.18.0.7 443/tcp"), allowed);
            first.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            Files.deleteIfExists(socket);
            for (int i = 0; i < 3; i++) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> link.allow(TASK, "198.18.0.8", 443, "tcp"));
                assertTrue(e.getMessage().startsWith("allow failed: UNAVAILABLE"), e.getMessage());
            }
            Server again = shield(socket, group, allowed);
            try {
                long started = System.nanoTime();
                link.allow(TASK, "198.18.0.9", 443, "tcp");
                assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2), "at once");
                assertEquals(List.of(TASK + " 198.18.0.7 443/tcp", TASK + " 198.18.0.9 443/tcp"), allowed,
                        "the shield that is back opened the address");
            } finally {
                again.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            link.close();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    private static boolean within(long millis, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }

    private static boolean asked(Clearance clearance, String ip) {
        return clearance.pending(TASK).stream().map(PendingRequest::destination).anyMatch(d -> d.ip().equals(ip));
    }

    @Test
    void blockedConnectionsReachTheOperatorAsSoonAsShieldIsBack(@TempDir Path dir) throws Exception {
        EventLoopGroup group = new EpollEventLoopGroup(1);
        Path socket = dir.resolve("shield.sock");
        List<String> allowed = new CopyOnWriteArrayList<>();
        // Quick retries, so a late re-subscription is gRPC's backoff, not the follower's own pause.
        ShieldLink link = new ShieldLink(socket, 5000, new StreamFollower(50, 100));
        Clearance clearance = new Clearance(link, Clock.systemUTC());
        clearance.registerTask(TASK, "agent-one", "proj");
        try {
            Server first = shield(socket, group, allowed, "198.18.0.7");
            link.follow(clearance);
            assertTrue(within(5000, () -> asked(clearance, "198.18.0.7")), "shield's blocked connection is asked about");
            first.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            Files.deleteIfExists(socket);
            // The operator keeps clicking Allow while shield is down (each refused), long enough for gRPC's backoff to
            // have grown past a second (1 s, 1.6 s, 2.56 s, each ±20 %).
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3600);
            while (System.nanoTime() < end) {
                assertThrows(IllegalStateException.class, () -> link.allow(TASK, "198.18.0.7", 443, "tcp"));
                Thread.sleep(300);
            }
            Server again = shield(socket, group, allowed, "198.18.0.8");
            try {
                assertTrue(within(700, () -> asked(clearance, "198.18.0.8")),
                        "shield is back: the connection it blocked now is asked about at once");
            } finally {
                again.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            link.close();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }
}
