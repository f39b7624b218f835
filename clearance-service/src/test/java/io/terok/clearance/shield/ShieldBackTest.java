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
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.ShieldStatus;
import io.terok.api.v1.TargetRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shield killed and started again takes clearance's very next verdict, over a real gRPC server on a Unix socket.
 * Before, clearance's channel waited out gRPC's reconnect backoff (1 s growing to two minutes) and an Allow clicked
 * meanwhile failed with UNAVAILABLE although shield was back.
 */
class ShieldBackTest {
    private static final String TASK = "0123456789abcdef0123456789abcdef";

    private static Server shield(Path socket, EventLoopGroup group, List<String> allowed) throws Exception {
        return NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(new ShieldServiceGrpc.ShieldServiceImplBase() {
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
}
