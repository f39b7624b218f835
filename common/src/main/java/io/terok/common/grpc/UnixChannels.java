package io.terok.common.grpc;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;

/** gRPC channels to a terok service over its Unix domain socket. */
public final class UnixChannels {
    private static volatile EventLoopGroup sharedGroup;

    private UnixChannels() {
    }

    /**
     * A plaintext channel to the socket. The authority is pinned to "localhost" because the Vert.x server
     * resets streams whose :authority is the socket path.
     */
    public static ManagedChannel open(Path socket) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group())
                .usePlaintext()
                .overrideAuthority("localhost")
                .maxInboundMessageSize(64 * 1024 * 1024)
                .build();
    }

    /**
     * Makes a channel whose service was gone try again now. gRPC waits out a reconnect backoff (1 s, growing to two
     * minutes) after a failed connection and fails every call meanwhile, even once the service is back: a launch right
     * after `terok services up` was refused with "vault-service is not running". Call before each call of a long-lived
     * channel: when it is failing, the backoff is cut short and this waits (at most half a second; a Unix socket
     * connects or refuses at once) until the new attempt has settled, so the call meets the service as it is now.
     */
    public static void reconnectIfFailing(ManagedChannel ch) {
        if (ch.getState(false) != ConnectivityState.TRANSIENT_FAILURE) {
            return;
        }
        ch.resetConnectBackoff();
        long end = System.nanoTime() + 500_000_000L;
        boolean left = false;
        while (System.nanoTime() < end) {
            ConnectivityState st = ch.getState(true);
            if (st == ConnectivityState.READY || left && st == ConnectivityState.TRANSIENT_FAILURE) {
                return;
            }
            left |= st != ConnectivityState.TRANSIENT_FAILURE;
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Ends the shared event-loop threads now. A short-lived process (the CLI) calls this before exiting: the
     * JVM otherwise waits up to 300 ms at exit for threads parked in epoll_wait. Channels opened later get a
     * new group.
     */
    public static void shutdown() {
        EventLoopGroup g;
        synchronized (UnixChannels.class) {
            g = sharedGroup;
            sharedGroup = null;
        }
        if (g != null) {
            g.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS).awaitUninterruptibly(500);
        }
    }

    private static EventLoopGroup group() {
        EventLoopGroup g = sharedGroup;
        if (g == null) {
            synchronized (UnixChannels.class) {
                g = sharedGroup;
                if (g == null) {
                    // Daemon threads: a CLI must be able to exit without shutting the group down.
                    g = new EpollEventLoopGroup(2, new DefaultThreadFactory("terok-grpc-uds", true));
                    sharedGroup = g;
                }
            }
        }
        return g;
    }
}
