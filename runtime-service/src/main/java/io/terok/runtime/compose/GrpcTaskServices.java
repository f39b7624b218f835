package io.terok.runtime.compose;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.ClearanceServiceGrpc;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.LockRequest;
import io.terok.api.v1.MintTaskTokenRequest;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.MintTaskTokensResponse;
import io.terok.api.v1.PhantomToken;
import io.terok.api.v1.PrepareTaskRequest;
import io.terok.api.v1.PrepareTaskResponse;
import io.terok.api.v1.RegisterTaskRequest;
import io.terok.api.v1.RevokeTaskTokenRequest;
import io.terok.api.v1.RevokeTaskTokensRequest;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.ShieldTaskRef;
import io.terok.api.v1.TaskTokensRequest;
import io.terok.api.v1.UnregisterTaskRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.api.v1.VolumeMount;
import io.terok.common.ServiceName;
import io.terok.common.grpc.ServiceChannel;
import io.terok.runtime.spec.Mount;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** {@link TaskServices} over the other services' gRPC contracts on their Unix sockets. */
public final class GrpcTaskServices implements TaskServices, AutoCloseable {
    private final Path runtimeDir;
    private final long deadlineMillis;
    private final Map<ServiceName, ServiceChannel> channels = new EnumMap<>(ServiceName.class);

    public GrpcTaskServices(Path runtimeDir, long deadlineMillis) {
        this.runtimeDir = runtimeDir;
        this.deadlineMillis = deadlineMillis;
    }

    private synchronized ManagedChannel channel(ServiceName s) {
        // A service restarted since the last failed call answers this one (not only after gRPC's backoff).
        return channels.computeIfAbsent(s, x -> new ServiceChannel(x.socket(runtimeDir))).get();
    }

    private <T> T call(ServiceName s, String what, Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            Status st = e.getStatus();
            String why = switch (st.getCode()) {
                case UNAVAILABLE -> "is not running (no answer on " + s.socket(runtimeDir) + ")";
                case UNIMPLEMENTED -> "does not implement " + what + " yet";
                case DEADLINE_EXCEEDED -> "did not answer within " + deadlineMillis + " ms";
                default -> null;
            };
            if (why != null) {
                throw new ServiceUnavailableException(s.id(), s.id() + "-service " + why);
            }
            String detail = st.getDescription() == null ? st.getCode().toString() : st.getDescription();
            Status.Code code = st.getCode() == Status.Code.UNKNOWN || st.getCode() == Status.Code.INTERNAL
                    ? Status.Code.FAILED_PRECONDITION : st.getCode();
            throw new ServiceUnavailableException(s.id(), s.id() + "-service refused " + what + ": " + detail, code);
        }
    }

    private ShieldServiceGrpc.ShieldServiceBlockingStub shield() {
        return ShieldServiceGrpc.newBlockingStub(channel(ServiceName.SHIELD)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    private VaultServiceGrpc.VaultServiceBlockingStub vault() {
        return VaultServiceGrpc.newBlockingStub(channel(ServiceName.VAULT)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    private GateServiceGrpc.GateServiceBlockingStub gate() {
        return GateServiceGrpc.newBlockingStub(channel(ServiceName.GATE)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    private ClearanceServiceGrpc.ClearanceServiceBlockingStub clearance() {
        return ClearanceServiceGrpc.newBlockingStub(channel(ServiceName.CLEARANCE)).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public ShieldWiring prepareShield(String taskId, String containerName, List<String> profiles, List<Integer> hostPorts,
            String hostAddress, List<String> relayedHosts) {
        PrepareTaskResponse r = call(ServiceName.SHIELD, "PrepareTask", () -> shield().prepareTask(PrepareTaskRequest.newBuilder()
                .setTaskId(taskId).setContainerName(containerName).addAllProfiles(profiles).addAllHostPorts(hostPorts)
                .setHostAddress(hostAddress).addAllRelayedHosts(relayedHosts).build()));
        return new ShieldWiring(r.getAnnotationsMap(), r.getDnsServersList(), mounts(r.getMountsList()), r.getHostsMap());
    }

    @Override
    public boolean shieldLoaded(String taskId, String containerId) {
        io.terok.api.v1.ShieldStatus s = call(ServiceName.SHIELD, "Status",
                () -> shield().status(ShieldTaskRef.newBuilder().setTaskId(taskId).build()));
        boolean running = s.getState() != io.terok.api.v1.ShieldState.SHIELD_STATE_INACTIVE
                && s.getState() != io.terok.api.v1.ShieldState.SHIELD_STATE_UNSPECIFIED;
        return running || (!containerId.isEmpty() && containerId.equals(s.getAppliedContainerId()));
    }

    @Override
    public boolean shieldKnows(String taskId) {
        try {
            call(ServiceName.SHIELD, "Status", () -> shield().status(ShieldTaskRef.newBuilder().setTaskId(taskId).build()));
            return true;
        } catch (ServiceUnavailableException e) {
            if (e.code() == Status.Code.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void releaseShield(String taskId) {
        call(ServiceName.SHIELD, "ReleaseTask", () -> shield().releaseTask(ShieldTaskRef.newBuilder().setTaskId(taskId).build()));
    }

    @Override
    public VaultWiring mintVaultTokens(String taskId, String project, List<String> providers, String hostAddress) {
        MintTaskTokensResponse r = call(ServiceName.VAULT, "MintTaskTokens", () -> vault().mintTaskTokens(MintTaskTokensRequest.newBuilder()
                .setTaskId(taskId).setProject(project).addAllProviders(providers).setHostAddress(hostAddress).build()));
        List<Mount> mounts = r.getMountsMap().entrySet().stream()
                .map(e -> new Mount(e.getKey(), e.getValue(), true, "")).toList();
        return new VaultWiring(r.getTokensList().stream().map(PhantomToken::getId).toList(), r.getEnvMap(), mounts,
                r.getHostPortsList(), r.getRelayedHostsList());
    }

    @Override
    public void revokeVaultTokens(String taskId) {
        call(ServiceName.VAULT, "RevokeTaskTokens", () -> vault().revokeTaskTokens(RevokeTaskTokensRequest.newBuilder().setTaskId(taskId).build()));
    }

    @Override
    public List<String> vaultTokenIds(String taskId) {
        return call(ServiceName.VAULT, "ListTokens", () -> vault().listTokens(ListTokensRequest.newBuilder().setTaskId(taskId).build()))
                .getTokensList().stream().map(PhantomToken::getId).toList();
    }

    @Override
    public GateWiring mintGateToken(String taskId, String project, String hostAddress) {
        MintTaskTokenResponse r = call(ServiceName.GATE, "MintTaskToken", () -> gate().mintTaskToken(MintTaskTokenRequest.newBuilder()
                .setTaskId(taskId).setProject(project).setHostAddress(hostAddress).build()));
        return new GateWiring(r.getCloneUrl(), r.getEnvMap(), r.getHostPortsList());
    }

    @Override
    public void revokeGateToken(String taskId) {
        call(ServiceName.GATE, "RevokeTaskToken", () -> gate().revokeTaskToken(RevokeTaskTokenRequest.newBuilder().setTaskId(taskId).build()));
    }

    @Override
    public int gateTokens(String taskId) {
        return call(ServiceName.GATE, "TaskTokens", () -> gate().taskTokens(TaskTokensRequest.newBuilder().setTaskId(taskId).build()))
                .getCount();
    }

    @Override
    public void registerClearance(String taskId, String name, String project) {
        call(ServiceName.CLEARANCE, "RegisterTask", () -> clearance().registerTask(RegisterTaskRequest.newBuilder()
                .setTaskId(taskId).setName(name).setProject(project).build()));
    }

    @Override
    public void unregisterClearance(String taskId) {
        call(ServiceName.CLEARANCE, "UnregisterTask", () -> clearance().unregisterTask(UnregisterTaskRequest.newBuilder().setTaskId(taskId).build()));
    }

    @Override
    public void blockShield(String taskId) {
        call(ServiceName.SHIELD, "Block", () -> shield().block(ShieldTaskRef.newBuilder().setTaskId(taskId).build()));
    }

    @Override
    public void holdVault() {
        call(ServiceName.VAULT, "Lock", () -> vault().lock(LockRequest.newBuilder().setHold(true).build()));
    }

    private static List<Mount> mounts(List<VolumeMount> in) {
        return in.stream().map(v -> new Mount(v.getHostPath(), v.getContainerPath(), v.getReadOnly(), "")).toList();
    }

    @Override
    public synchronized void close() {
        channels.values().forEach(ServiceChannel::close);
        channels.clear();
    }
}
