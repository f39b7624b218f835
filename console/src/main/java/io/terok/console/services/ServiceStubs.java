package io.terok.console.services;

import io.grpc.ManagedChannel;
import io.terok.api.v1.AgentTaskServiceGrpc;
import io.terok.api.v1.ClearanceServiceGrpc;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.MutinyAgentTaskServiceGrpc;
import io.terok.api.v1.MutinyClearanceServiceGrpc;
import io.terok.api.v1.MutinyRuntimeServiceGrpc;
import io.terok.api.v1.MutinyShieldServiceGrpc;
import io.terok.api.v1.MutinyVaultServiceGrpc;
import io.terok.api.v1.ProjectServiceGrpc;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.common.ServiceName;
import io.terok.common.grpc.ServiceChannel;
import io.terok.common.grpc.UnixChannels;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The console's way to every service: one grpc-java channel per service socket in the runtime directory (common's
 * {@link UnixChannels}, as the CLI and runtime use), opened on first use. Unary calls get the console's deadline;
 * streams (events, logs) get none and last as long as the page that watches them. A channel to a service that is
 * down is reconnected on the first use after the service is back ({@link ServiceChannel}).
 */
@ApplicationScoped
public class ServiceStubs {
    private final Path runtimeDir;
    private final long deadlineMillis;
    private final Map<ServiceName, ServiceChannel> channels = new EnumMap<>(ServiceName.class);

    ServiceStubs(@ConfigProperty(name = "terok.runtime-dir") Path runtimeDir,
                 @ConfigProperty(name = "terok.console.deadline") Duration deadline) {
        this.runtimeDir = runtimeDir;
        this.deadlineMillis = deadline.toMillis();
    }

    public Path runtimeDir() {
        return runtimeDir;
    }

    /** A service restarted since a failed call answers the next one, not only after gRPC's reconnect backoff. */
    public synchronized ManagedChannel channel(ServiceName s) {
        return channels.computeIfAbsent(s, x -> new ServiceChannel(x.socket(runtimeDir))).get();
    }

    public ProjectServiceGrpc.ProjectServiceBlockingStub projects() {
        return ProjectServiceGrpc.newBlockingStub(channel(ServiceName.RUNTIME)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    public AgentTaskServiceGrpc.AgentTaskServiceBlockingStub agentTasks() {
        return AgentTaskServiceGrpc.newBlockingStub(channel(ServiceName.RUNTIME)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    /** For Run/Logs streams: no deadline, the caller cancels. */
    public MutinyAgentTaskServiceGrpc.MutinyAgentTaskServiceStub agentTaskStreams() {
        return MutinyAgentTaskServiceGrpc.newMutinyStub(channel(ServiceName.RUNTIME));
    }

    public RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime() {
        return RuntimeServiceGrpc.newBlockingStub(channel(ServiceName.RUNTIME)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    public MutinyRuntimeServiceGrpc.MutinyRuntimeServiceStub runtimeStreams() {
        return MutinyRuntimeServiceGrpc.newMutinyStub(channel(ServiceName.RUNTIME));
    }

    public GateServiceGrpc.GateServiceBlockingStub gate(Duration deadline) {
        return GateServiceGrpc.newBlockingStub(channel(ServiceName.GATE)).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    public GateServiceGrpc.GateServiceBlockingStub gate() {
        return GateServiceGrpc.newBlockingStub(channel(ServiceName.GATE)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    public ShieldServiceGrpc.ShieldServiceBlockingStub shield() {
        return ShieldServiceGrpc.newBlockingStub(channel(ServiceName.SHIELD)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    public MutinyShieldServiceGrpc.MutinyShieldServiceStub shieldStreams() {
        return MutinyShieldServiceGrpc.newMutinyStub(channel(ServiceName.SHIELD));
    }

    public ClearanceServiceGrpc.ClearanceServiceBlockingStub clearance() {
        return ClearanceServiceGrpc.newBlockingStub(channel(ServiceName.CLEARANCE)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    public MutinyClearanceServiceGrpc.MutinyClearanceServiceStub clearanceStreams() {
        return MutinyClearanceServiceGrpc.newMutinyStub(channel(ServiceName.CLEARANCE));
    }

    public VaultServiceGrpc.VaultServiceBlockingStub vault() {
        return VaultServiceGrpc.newBlockingStub(channel(ServiceName.VAULT)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    public MutinyVaultServiceGrpc.MutinyVaultServiceStub vaultStreams() {
        return MutinyVaultServiceGrpc.newMutinyStub(channel(ServiceName.VAULT));
    }

    @PreDestroy
    synchronized void close() {
        channels.values().forEach(ServiceChannel::close);
        channels.clear();
    }
}
