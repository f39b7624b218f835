package io.terok.cli.core;

import io.grpc.ManagedChannel;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * Start-up overlap for the CLI process: while picocli builds its model and parses (about 80 ms), a background
 * thread loads grpc-java and Netty and connects to the runtime socket. The verb then takes the channel ready-made.
 */
public final class Prewarm {
    private static volatile Path socket;
    private static volatile CompletableFuture<ManagedChannel> channel;

    private Prewarm() {
    }

    public static void start(Path runtimeSocket, boolean debug) {
        if (!Files.exists(runtimeSocket)) {
            return; // the verb fails fast with its own message; nothing to warm
        }
        CompletableFuture<ManagedChannel> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                GrpcLogging.quiet(debug);
                ManagedChannel ch = UnixChannels.open(runtimeSocket);
                ch.getState(true); // connect now
                f.complete(ch);
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "terok-prewarm");
        t.setDaemon(true);
        socket = runtimeSocket;
        channel = f;
        t.start();
    }

    /** The prewarmed channel to {@code runtimeSocket} (handed out once), or null. */
    static synchronized ManagedChannel take(Path runtimeSocket) {
        CompletableFuture<ManagedChannel> f = channel;
        if (f == null || !runtimeSocket.equals(socket)) {
            return null;
        }
        channel = null;
        try {
            return f.join();
        } catch (RuntimeException e) {
            return null; // open it the normal way and report what fails there
        }
    }

    /** Releases a channel nobody took (the verb failed before it needed one). */
    public static void close() {
        ManagedChannel unused = take(socket == null ? Path.of("") : socket);
        if (unused != null) {
            unused.shutdownNow();
        }
    }
}
