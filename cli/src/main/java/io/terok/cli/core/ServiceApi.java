package io.terok.cli.core;

import io.grpc.Channel;
import io.grpc.stub.AbstractBlockingStub;
import io.terok.api.v1.ClearanceServiceGrpc;
import io.terok.api.v1.ClearanceServiceGrpc.ClearanceServiceBlockingStub;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.GateServiceGrpc.GateServiceBlockingStub;
import io.terok.api.v1.AgentTaskServiceGrpc;
import io.terok.api.v1.AgentTaskServiceGrpc.AgentTaskServiceBlockingStub;
import io.terok.api.v1.ProjectServiceGrpc;
import io.terok.api.v1.ProjectServiceGrpc.ProjectServiceBlockingStub;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.ShieldServiceGrpc.ShieldServiceBlockingStub;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.api.v1.VaultServiceGrpc.VaultServiceBlockingStub;
import io.terok.common.ServiceName;
import java.time.Duration;
import java.util.function.Function;

/**
 * How the CLI calls one service: the socket it listens on, its blocking stub, and the deadline a call gets unless
 * the verb asks for another. Every verb reaches its service through one of these and {@link ServiceClient}.
 */
public record ServiceApi<S extends AbstractBlockingStub<S>>(ServiceName service, Function<Channel, S> stubs,
                                                             Duration deadline) {
    /** Plain requests (list, inspect, remove, ...); the task verbs give longer ones to launch, logs -f and wait. */
    public static final ServiceApi<RuntimeServiceBlockingStub> RUNTIME = new ServiceApi<>(ServiceName.RUNTIME,
            RuntimeServiceGrpc::newBlockingStub, Duration.ofSeconds(15));
    /** Unlock derives the SQLCipher key (deliberately slow): a generous deadline. */
    public static final ServiceApi<VaultServiceBlockingStub> VAULT = new ServiceApi<>(ServiceName.VAULT,
            VaultServiceGrpc::newBlockingStub, Duration.ofSeconds(60));
    /** Sync and forward move whole repositories: give them time. */
    public static final ServiceApi<GateServiceBlockingStub> GATE = new ServiceApi<>(ServiceName.GATE,
            GateServiceGrpc::newBlockingStub, Duration.ofMinutes(10));
    public static final ServiceApi<ShieldServiceBlockingStub> SHIELD = new ServiceApi<>(ServiceName.SHIELD,
            ShieldServiceGrpc::newBlockingStub, Duration.ofSeconds(30));
    public static final ServiceApi<ClearanceServiceBlockingStub> CLEARANCE = new ServiceApi<>(ServiceName.CLEARANCE,
            ClearanceServiceGrpc::newBlockingStub, Duration.ofSeconds(15));

    /** Projects live in runtime-service; init builds images, so it asks for its own long deadline. */
    public static final ServiceApi<ProjectServiceBlockingStub> PROJECTS = new ServiceApi<>(ServiceName.RUNTIME,
            ProjectServiceGrpc::newBlockingStub, Duration.ofSeconds(30));

    /** Agent tasks live in runtime-service; run and followup ask for their own deadlines. */
    public static final ServiceApi<AgentTaskServiceBlockingStub> AGENT_TASKS = new ServiceApi<>(ServiceName.RUNTIME,
            AgentTaskServiceGrpc::newBlockingStub, Duration.ofSeconds(60));

    /** A connection for several calls; close it after use. */
    public ServiceClient<S> connect(Context ctx) {
        return ServiceClient.connect(ctx, this);
    }

    /** One call on its own connection, with this service's deadline; a gRPC failure becomes a {@link CliException}. */
    public <T> T call(Context ctx, String what, Function<S, T> rpc) {
        try (ServiceClient<S> client = connect(ctx)) {
            return client.call(what, rpc);
        }
    }
}
