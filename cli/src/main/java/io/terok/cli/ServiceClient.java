package io.terok.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/** A connection to one terok service's socket; every call goes through {@link #call} for readable errors. */
class ServiceClient implements AutoCloseable {
    final ServiceName service;
    private final ManagedChannel channel;
    private final String logHint;

    ServiceClient(ServiceName service, ManagedChannel channel, String logHint) {
        this.service = service;
        this.channel = channel;
        this.logHint = logHint;
    }

    static ServiceClient connect(Context ctx, ServiceName service) {
        return new ServiceClient(service, open(ctx, service, null), logHint(ctx, service));
    }

    /** The channel to the service; {@code prewarmed} is used when the caller already opened one. */
    static ManagedChannel open(Context ctx, ServiceName service, ManagedChannel prewarmed) {
        Path socket = ctx.paths.socket(service);
        if (!Files.exists(socket)) {
            throw new CliException("cannot reach the " + service.id() + " service: no socket at " + socket,
                    "start the services with `terok services up` (TEROK_RUNTIME_DIR selects another socket directory)");
        }
        ctx.beforeGrpc();
        return prewarmed != null ? prewarmed : UnixChannels.open(socket);
    }

    static String logHint(Context ctx, ServiceName service) {
        return ctx.paths.stateDir().resolve("logs").resolve(service.id() + ".log").toString();
    }

    ManagedChannel channel() {
        return channel;
    }

    /** Runs one call (or a whole stream read); a gRPC failure becomes {@code terok: <what>: <status>}. */
    <T> T call(String what, Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw GrpcErrors.failure(what, service.id(), logHint, e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
