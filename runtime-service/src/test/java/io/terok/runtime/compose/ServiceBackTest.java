package io.terok.runtime.compose;

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
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.ListTokensResponse;
import io.terok.api.v1.PhantomToken;
import io.terok.api.v1.VaultServiceGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service killed and started again (`terok services up`) answers runtime's very next call, over a real gRPC server
 * on a Unix socket. Before, runtime's channel waited out gRPC's reconnect backoff and refused calls meanwhile with
 * "vault-service is not running" although the vault was back (FaultsEndToEndTest met it: a launch right after
 * `services up` failed).
 */
class ServiceBackTest {
    private static Server vault(Path socket, EventLoopGroup group) throws Exception {
        return NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(new VaultServiceGrpc.VaultServiceImplBase() {
                    @Override
                    public void listTokens(ListTokensRequest request, StreamObserver<ListTokensResponse> out) {
                        out.onNext(ListTokensResponse.newBuilder().addTokens(PhantomToken.newBuilder().setId("tok-1")).build());
                        out.onCompleted();
                    }
                }).build().start();
    }

    @Test
    void aServiceStartedAgainAnswersTheNextCall(@TempDir Path dir) throws Exception {
        EventLoopGroup group = new EpollEventLoopGroup(1);
        GrpcTaskServices services = new GrpcTaskServices(dir, 5000);
        Path socket = dir.resolve("vault.sock");
        try {
            Server first = vault(socket, group);
            assertEquals(List.of("tok-1"), services.vaultTokenIds("t"));
            first.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            Files.deleteIfExists(socket);
            for (int i = 0; i < 3; i++) {
                ServiceUnavailableException e = assertThrows(ServiceUnavailableException.class, () -> services.vaultTokenIds("t"));
                assertTrue(e.getMessage().startsWith("vault-service is not running"), e.getMessage());
            }
            Server again = vault(socket, group);
            try {
                long started = System.nanoTime();
                assertEquals(List.of("tok-1"), services.vaultTokenIds("t"), "the vault is back: it answers");
                assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2), "at once");
            } finally {
                again.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            services.close();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }
}
