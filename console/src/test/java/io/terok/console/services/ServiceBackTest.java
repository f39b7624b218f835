package io.terok.console.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.ListTasksResponse;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.Task;
import io.terok.common.ServiceName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runtime killed and started again answers the console's very next call, over a real gRPC server on a Unix socket.
 * Before, the console's channel waited out gRPC's reconnect backoff (1 s growing to two minutes) and every page showed
 * runtime as down meanwhile although it was back.
 */
class ServiceBackTest {
    private static Server runtime(Path socket, EventLoopGroup group) throws Exception {
        return NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(new RuntimeServiceGrpc.RuntimeServiceImplBase() {
                    @Override
                    public void list(ListTasksRequest request, StreamObserver<ListTasksResponse> out) {
                        out.onNext(ListTasksResponse.newBuilder().addTasks(Task.newBuilder().setId("t-1")).build());
                        out.onCompleted();
                    }
                }).build().start();
    }

    @Test
    void aServiceStartedAgainAnswersTheNextCall(@TempDir Path dir) throws Exception {
        EventLoopGroup group = new EpollEventLoopGroup(1);
        ServiceStubs stubs = new ServiceStubs(dir, Duration.ofSeconds(5));
        Path socket = ServiceName.RUNTIME.socket(dir);
        try {
            Server first = runtime(socket, group);
            assertEquals("t-1", stubs.runtime().list(ListTasksRequest.getDefaultInstance()).getTasks(0).getId());
            first.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            Files.deleteIfExists(socket);
            for (int i = 0; i < 3; i++) {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                        () -> stubs.runtime().list(ListTasksRequest.getDefaultInstance()));
                assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            }
            Server again = runtime(socket, group);
            try {
                long started = System.nanoTime();
                assertEquals("t-1", stubs.runtime().list(ListTasksRequest.getDefaultInstance()).getTasks(0).getId(),
                        "runtime is back: it answers");
                assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2), "at once");
            } finally {
                again.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            stubs.close();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }
}
