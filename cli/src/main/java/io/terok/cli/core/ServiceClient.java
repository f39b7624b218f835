package io.terok.cli.core;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractBlockingStub;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A connection to one terok service's socket ({@link ServiceApi#connect}). Calls go through {@link #call} so that a
 * gRPC failure reads {@code terok: <what>: <status>} with a hint naming the service and its log.
 */
public final class ServiceClient<S extends AbstractBlockingStub<S>> implements AutoCloseable {
    private final ServiceApi<S> api;
    private final ManagedChannel channel;
    private final S stub;
    private final String logHint;

    private ServiceClient(ServiceApi<S> api, ManagedChannel channel, String logHint) {
        this.api = api;
        this.channel = channel;
        this.stub = api.stubs().apply(channel);
        this.logHint = logHint;
    }

    static <S extends AbstractBlockingStub<S>> ServiceClient<S> connect(Context ctx, ServiceApi<S> api) {
        ServiceName service = api.service();
        Path socket = ctx.paths.socket(service);
        ManagedChannel prewarmed = Prewarm.take(socket);
        if (!Files.exists(socket)) {
            throw new CliException("cannot reach the " + service.id() + " service: no socket at " + socket,
                    "start the services with `terok services up` (TEROK_RUNTIME_DIR selects another socket directory)");
        }
        ctx.beforeGrpc();
        ManagedChannel channel = prewarmed != null ? prewarmed : UnixChannels.open(socket);
        return new ServiceClient<>(api, channel, ctx.paths.stateDir().resolve("logs").resolve(service.id() + ".log").toString());
    }

    /** The stub with the service's deadline from now. */
    public S stub() {
        return stub(api.deadline());
    }

    /** The stub with a deadline {@code timeout} from now. */
    public S stub(Duration timeout) {
        return stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The stub without a deadline: for streams that last as long as the operator watches them. */
    public S untimedStub() {
        return stub;
    }

    /** The channel itself: for the async stubs a bidirectional stream needs (attach). */
    public io.grpc.Channel channel() {
        return channel;
    }

    /** A gRPC failure as {@link #call} reports it, for calls made on {@link #channel()}. */
    public CliException failure(String what, StatusRuntimeException e) {
        return GrpcErrors.failure(what, api.service().id(), logHint, e);
    }

    /** One call with the service's deadline. */
    public <T> T call(String what, Function<S, T> rpc) {
        return call(what, () -> rpc.apply(stub()));
    }

    /** One call with its own deadline. */
    public <T> T call(String what, Duration timeout, Function<S, T> rpc) {
        return call(what, () -> rpc.apply(stub(timeout)));
    }

    /** Runs one call (or a whole stream read); a gRPC failure becomes {@code terok: <what>: <status>}. */
    public <T> T call(String what, Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw GrpcErrors.failure(what, api.service().id(), logHint, e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
