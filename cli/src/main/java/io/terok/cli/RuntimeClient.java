package io.terok.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** A connection to the runtime service; every call goes through {@link #call} with its own deadline. */
final class RuntimeClient implements AutoCloseable {
    /** Plain requests (list, inspect, remove, ...). */
    static final Duration UNARY = Duration.ofSeconds(15);
    /** Launch composes four services and creates a container. */
    static final Duration LAUNCH = Duration.ofMinutes(3);
    /** Upper bound for calls that last as long as a task does (logs -f, wait). */
    static final Duration FOLLOW = Duration.ofDays(30);

    private final ManagedChannel channel;
    private final RuntimeServiceBlockingStub stub;
    private final String logHint;

    private RuntimeClient(ManagedChannel channel, String logHint) {
        this.channel = channel;
        this.stub = RuntimeServiceGrpc.newBlockingStub(channel);
        this.logHint = logHint;
    }

    static RuntimeClient connect(Context ctx) {
        Path socket = ctx.paths.socket(ServiceName.RUNTIME);
        if (!Files.exists(socket)) {
            throw new CliException("cannot reach the runtime service: no socket at " + socket,
                    "start the services with `terok services up` (TEROK_RUNTIME_DIR selects another socket directory)");
        }
        ctx.beforeGrpc();
        String log = ctx.paths.stateDir().resolve("logs").resolve("runtime.log").toString();
        ManagedChannel prewarmed = Prewarm.take(socket);
        return new RuntimeClient(prewarmed != null ? prewarmed : UnixChannels.open(socket), log);
    }

    /** The stub with a deadline {@code timeout} from now. */
    RuntimeServiceBlockingStub stub(Duration timeout) {
        return stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs one call (or a whole stream read); a gRPC failure becomes {@code terok: <what>: <status>}. */
    <T> T call(String what, Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw GrpcErrors.failure(what, "runtime", logHint, e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
