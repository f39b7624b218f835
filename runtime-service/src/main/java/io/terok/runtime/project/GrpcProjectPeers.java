package io.terok.runtime.project;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.AddSshKeyRequest;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.DeleteProjectRequest;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.ListProjectsRequest;
import io.terok.api.v1.ListSshKeysRequest;
import io.terok.api.v1.RemoveSshKeyRequest;
import io.terok.api.v1.SshKeyInfo;
import io.terok.api.v1.SshKeyType;
import io.terok.api.v1.SyncRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.common.ServiceName;
import io.terok.common.grpc.ServiceChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** {@link ProjectPeers} over gate's and vault's gRPC contracts on their Unix sockets. */
public final class GrpcProjectPeers implements ProjectPeers, AutoCloseable {
    /** Creating a mirror fetches the whole upstream: give it time. */
    private static final Duration SYNC_DEADLINE = Duration.ofMinutes(10);

    private final Path runtimeDir;
    private final Duration deadline;
    private final Map<ServiceName, ServiceChannel> channels = new EnumMap<>(ServiceName.class);

    public GrpcProjectPeers(Path runtimeDir, Duration deadline) {
        this.runtimeDir = runtimeDir;
        this.deadline = deadline;
    }

    private synchronized ManagedChannel channel(ServiceName s) {
        if (!Files.exists(s.socket(runtimeDir))) {
            throw ServiceException.unavailable(s.id() + "-service is not running (no socket at " + s.socket(runtimeDir) + ")");
        }
        // a peer restarted since a failed call answers now, not after gRPC's backoff
        return channels.computeIfAbsent(s, x -> new ServiceChannel(x.socket(runtimeDir))).get();
    }

    private GateServiceGrpc.GateServiceBlockingStub gate(Duration d) {
        return GateServiceGrpc.newBlockingStub(channel(ServiceName.GATE)).withDeadlineAfter(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    private VaultServiceGrpc.VaultServiceBlockingStub vault() {
        return VaultServiceGrpc.newBlockingStub(channel(ServiceName.VAULT)).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A peer's refusal keeps its status (the CLI shows it), prefixed with the service and what was asked. */
    private static <T> T call(ServiceName s, String what, Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            String detail = e.getStatus().getDescription() == null ? e.getStatus().getCode().toString()
                    : Printable.line(e.getStatus().getDescription(), 400);
            String msg = s.id() + "-service " + what + ": " + detail;
            throw switch (e.getStatus().getCode()) {
                case INVALID_ARGUMENT -> ServiceException.invalid(s.id(), msg);
                case NOT_FOUND -> ServiceException.notFound(msg);
                case ALREADY_EXISTS -> ServiceException.exists(msg);
                case PERMISSION_DENIED -> ServiceException.denied(msg);
                case UNAVAILABLE, DEADLINE_EXCEEDED, UNIMPLEMENTED -> ServiceException.unavailable(msg);
                default -> ServiceException.precondition(msg);
            };
        }
    }

    @Override
    public void shieldAllow(String taskId, String target) {
        call(ServiceName.SHIELD, "Allow " + Printable.line(target, 100), () -> io.terok.api.v1.ShieldServiceGrpc
                .newBlockingStub(channel(ServiceName.SHIELD)).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .allow(io.terok.api.v1.TargetRequest.newBuilder().setTaskId(taskId).setTarget(target).build()));
    }

    @Override
    public void shieldAllowPort(String taskId, String address, int port) {
        call(ServiceName.SHIELD, "Allow " + Printable.line(address, 100) + " port " + port, () -> io.terok.api.v1.ShieldServiceGrpc
                .newBlockingStub(channel(ServiceName.SHIELD)).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .allow(io.terok.api.v1.TargetRequest.newBuilder().setTaskId(taskId).setTarget(address).setPort(port)
                        .setProtocol("tcp").build()));
    }

    @Override
    public List<String> gatePinnedHostKeys(String project) {
        return call(ServiceName.GATE, "PinnedHostKeys", () -> gate(deadline).pinnedHostKeys(io.terok.api.v1.ProjectRef.newBuilder()
                .setProject(project).build())).getKnownHostsList();
    }

    @Override
    public boolean gateHas(String project) {
        return call(ServiceName.GATE, "ListProjects", () -> gate(deadline).listProjects(ListProjectsRequest.getDefaultInstance()))
                .getProjectsList().stream().anyMatch(p -> p.getName().equals(project));
    }

    @Override
    public void gateCreate(String project, String upstreamUrl, boolean sync) {
        ManagedChannel ch = channel(ServiceName.GATE);
        try {
            GateServiceGrpc.newBlockingStub(ch).withDeadlineAfter(SYNC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .createProject(CreateProjectRequest.newBuilder().setName(project).setUpstreamUrl(upstreamUrl).setSync(sync).build());
        } catch (StatusRuntimeException e) {
            // The gate is there (its socket answered the channel): a refusal is about the upstream.
            if (e.getStatus().getCode() == io.grpc.Status.Code.ALREADY_EXISTS) {
                throw ServiceException.exists("gate-service: project " + project + " already exists");
            }
            String detail = e.getStatus().getDescription() == null ? e.getStatus().getCode().toString()
                    : Printable.line(e.getStatus().getDescription(), 400);
            throw ServiceException.invalid("upstream.url", "the gate cannot mirror " + Printable.line(upstreamUrl, 200) + ": " + detail);
        }
    }

    @Override
    public void gateSync(String project) {
        call(ServiceName.GATE, "Sync", () -> gate(SYNC_DEADLINE).sync(SyncRequest.newBuilder().setProject(project).build()));
    }

    @Override
    public String gateDefaultBranch(String project) {
        return call(ServiceName.GATE, "ListProjects", () -> gate(deadline).listProjects(ListProjectsRequest.getDefaultInstance()))
                .getProjectsList().stream().filter(p -> p.getName().equals(project)).findFirst()
                .map(io.terok.api.v1.Project::getDefaultBranch).orElse("");
    }

    @Override
    public void gateDelete(String project) {
        call(ServiceName.GATE, "DeleteProject", () -> gate(deadline).deleteProject(DeleteProjectRequest.newBuilder().setProject(project).build()));
    }

    @Override
    public int brokerPort() {
        return call(ServiceName.VAULT, "Status", () -> vault().status(io.terok.api.v1.VaultStatusRequest.getDefaultInstance())).getBrokerPort();
    }

    @Override
    public List<io.terok.api.v1.Commit> commits(String project, String branch, String against) {
        return call(ServiceName.GATE, "Log", () -> gate(deadline).log(io.terok.api.v1.ReviewRequest.newBuilder()
                .setProject(project).setBranch(branch).setAgainst(against).build())).getCommitsList();
    }

    @Override
    public List<SshKey> sshKeys(String project) {
        return call(ServiceName.VAULT, "ListSshKeys", () -> vault().listSshKeys(ListSshKeysRequest.newBuilder().setProject(project).build()))
                .getKeysList().stream().map(GrpcProjectPeers::key).toList();
    }

    @Override
    public SshKey addSshKey(String project, boolean task) {
        return key(call(ServiceName.VAULT, "AddSshKey", () -> vault().addSshKey(AddSshKeyRequest.newBuilder().setProject(project)
                .setType(SshKeyType.SSH_KEY_TYPE_ED25519).setComment("terok-" + project + (task ? "-task" : ""))
                .setUse(task ? io.terok.api.v1.SshKeyUse.SSH_KEY_USE_TASK : io.terok.api.v1.SshKeyUse.SSH_KEY_USE_GATE).build())));
    }

    @Override
    public void removeSshKey(long id) {
        call(ServiceName.VAULT, "RemoveSshKey", () -> vault().removeSshKey(RemoveSshKeyRequest.newBuilder().setId(id).build()));
    }

    private static SshKey key(SshKeyInfo k) {
        return new SshKey(k.getId(), k.getFingerprint(), k.getPublicKey(), k.getUse() == io.terok.api.v1.SshKeyUse.SSH_KEY_USE_TASK);
    }

    @Override
    public synchronized void close() {
        channels.values().forEach(ServiceChannel::close);
        channels.clear();
    }
}
