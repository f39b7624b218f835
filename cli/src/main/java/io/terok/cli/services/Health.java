package io.terok.cli.services;

import io.terok.common.ServiceName;
import io.terok.common.grpc.HealthProbe;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** gRPC health of the five services, probed in parallel. */
public final class Health {
    /** The detail of a service whose socket file does not exist. */
    public static final String NO_SOCKET = "no socket";

    private Health() {
    }

    public static Map<ServiceName, HealthProbe.Result> probeAll(ServiceLayout layout, long timeoutMillis) {
        Map<ServiceName, CompletableFuture<HealthProbe.Result>> pending = new EnumMap<>(ServiceName.class);
        for (ServiceName s : ServiceName.values()) {
            Path socket = layout.socket(s);
            if (!Files.exists(socket)) {
                pending.put(s, CompletableFuture.completedFuture(new HealthProbe.Result(false, NO_SOCKET)));
            } else {
                CompletableFuture<HealthProbe.Result> f = new CompletableFuture<>();
                Thread t = new Thread(() -> {
                    try {
                        f.complete(HealthProbe.check(socket, timeoutMillis));
                    } catch (RuntimeException e) {
                        f.complete(new HealthProbe.Result(false, String.valueOf(e.getMessage())));
                    }
                }, "terok-health-" + s.id());
                t.setDaemon(true);
                t.start();
                pending.put(s, f);
            }
        }
        Map<ServiceName, HealthProbe.Result> results = new EnumMap<>(ServiceName.class);
        pending.forEach((s, f) -> results.put(s, f.join()));
        return results;
    }

    /** Whether anything accepts connections on the socket (a stale socket file refuses them). */
    public static boolean listening(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
