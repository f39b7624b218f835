package io.terok.clearance.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.terok.api.v1.EventsRequest;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.ListTasksResponse;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.TaskEvent;
import io.terok.api.v1.TaskEventKind;
import io.terok.clearance.StreamFollower;
import io.terok.clearance.domain.Clearance;
import io.terok.clearance.domain.Destination;
import io.terok.clearance.domain.FirewallControl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runtime killed and started again is followed again at once: the task that stopped meanwhile has its pending request
 * dropped as soon as runtime is back, over a real gRPC server on a Unix socket. Before, the re-subscription was refused
 * with UNAVAILABLE until gRPC's reconnect backoff (growing while runtime was down, up to two minutes) ran out, and the
 * operator was asked about a task that no longer ran.
 */
class RuntimeBackTest {
    private static final String TASK = "0123456789abcdef0123456789abcdef";

    /** A runtime whose event stream tells each subscriber that the given tasks stopped, then stays open. */
    private static Server runtime(Path socket, EventLoopGroup group, List<String> stopped, AtomicInteger subscriptions)
            throws Exception {
        return NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(new RuntimeServiceGrpc.RuntimeServiceImplBase() {
                    @Override
                    public void events(EventsRequest request, StreamObserver<TaskEvent> out) {
                        subscriptions.incrementAndGet();
                        for (String id : stopped) {
                            out.onNext(TaskEvent.newBuilder().setTaskId(id).setKind(TaskEventKind.TASK_EVENT_KIND_STOPPED).build());
                        }
                    }

                    @Override
                    public void list(ListTasksRequest request, StreamObserver<ListTasksResponse> out) {
                        out.onNext(ListTasksResponse.getDefaultInstance());
                        out.onCompleted();
                    }
                }).build().start();
    }

    static boolean within(long millis, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }

    @Test
    void aTaskThatStoppedWhileRuntimeWasDownIsDroppedAsSoonAsRuntimeIsBack(@TempDir Path dir) throws Exception {
        EventLoopGroup group = new EpollEventLoopGroup(1);
        Path socket = dir.resolve("runtime.sock");
        Clearance clearance = new Clearance(new FirewallControl() {
            public void allow(String taskId, String ip, int port, String protocol) {
            }

            public void deny(String taskId, String target) {
            }
        }, Clock.systemUTC());
        clearance.registerTask(TASK, "agent-one", "proj");
        // Quick retries, so a late re-subscription is gRPC's backoff, not the follower's own pause.
        RuntimeLink link = new RuntimeLink(socket, new StreamFollower(50, 100));
        AtomicInteger subscriptions = new AtomicInteger();
        try {
            Server first = runtime(socket, group, List.of(), subscriptions);
            link.follow(clearance);
            assertTrue(within(5000, () -> subscriptions.get() == 1), "clearance follows runtime's events");
            first.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            Files.deleteIfExists(socket);
            clearance.blocked(TASK, new Destination("198.18.0.7", 443, "tcp"), "", 1);
            assertEquals(1, clearance.pending(TASK).size());
            // Down long enough for gRPC's backoff to have grown past a second (1 s, 1.6 s, 2.56 s, each ±20 %).
            Thread.sleep(3600);
            Server again = runtime(socket, group, List.of(TASK), subscriptions);
            try {
                assertTrue(within(700, () -> clearance.pending(TASK).isEmpty()),
                        "runtime is back and says the task stopped: its request is dropped at once");
            } finally {
                again.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            link.close();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }
}
