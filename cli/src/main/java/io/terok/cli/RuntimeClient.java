package io.terok.cli;

import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.common.ServiceName;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A connection to the runtime service, with the deadlines its verbs use. */
final class RuntimeClient extends ServiceClient {
    /** Plain requests (list, inspect, remove, ...). */
    static final Duration UNARY = Duration.ofSeconds(15);
    /** Launch composes four services and creates a container. */
    static final Duration LAUNCH = Duration.ofMinutes(3);
    /** Upper bound for calls that last as long as a task does (logs -f, wait). */
    static final Duration FOLLOW = Duration.ofDays(30);

    private final RuntimeServiceBlockingStub stub;

    private RuntimeClient(Context ctx) {
        super(ServiceName.RUNTIME, open(ctx, ServiceName.RUNTIME, Prewarm.take(ctx.paths.socket(ServiceName.RUNTIME))),
                logHint(ctx, ServiceName.RUNTIME));
        this.stub = RuntimeServiceGrpc.newBlockingStub(channel());
    }

    static RuntimeClient connect(Context ctx) {
        return new RuntimeClient(ctx);
    }

    /** The stub with a deadline {@code timeout} from now. */
    RuntimeServiceBlockingStub stub(Duration timeout) {
        return stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
