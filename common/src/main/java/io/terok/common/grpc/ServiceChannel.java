package io.terok.common.grpc;

import io.grpc.ManagedChannel;
import java.nio.file.Path;

/**
 * A long-lived channel to one service's Unix socket, opened on first use. Every hand-out first cuts gRPC's reconnect
 * backoff short when the channel is failing ({@link UnixChannels#reconnectIfFailing}): a service killed and started
 * again answers the next call, instead of looking down for up to two minutes. Per-command channels (the CLI's, a
 * channel opened for one call) do not need this; they start without backoff.
 */
public final class ServiceChannel implements AutoCloseable {
    private final Path socket;
    private ManagedChannel channel;
    private boolean closed;

    public ServiceChannel(Path socket) {
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }

    /** The channel, reconnected first if its last connection attempt failed. */
    public synchronized ManagedChannel get() {
        if (closed) {
            throw new IllegalStateException("the channel to " + socket + " is closed");
        }
        if (channel == null) {
            channel = UnixChannels.open(socket);
        }
        UnixChannels.reconnectIfFailing(channel);
        return channel;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (channel != null) {
            channel.shutdownNow();
            channel = null;
        }
    }
}
