package io.terok.gate.grpc;

import com.google.protobuf.Timestamp;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.terok.api.v1.Backup;
import io.terok.api.v1.Commit;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.DeleteProjectRequest;
import io.terok.api.v1.DeleteProjectResponse;
import io.terok.api.v1.DiffResponse;
import io.terok.api.v1.ForwardRequest;
import io.terok.api.v1.ForwardResponse;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.ListBackupsResponse;
import io.terok.api.v1.ListPendingResponse;
import io.terok.api.v1.ListProjectsRequest;
import io.terok.api.v1.ListProjectsResponse;
import io.terok.api.v1.ListPushesResponse;
import io.terok.api.v1.LogResponse;
import io.terok.api.v1.MintTaskTokenRequest;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.api.v1.PendingOperation;
import io.terok.api.v1.PendingRef;
import io.terok.api.v1.Project;
import io.terok.api.v1.ProjectRef;
import io.terok.api.v1.Push;
import io.terok.api.v1.RefUpdate;
import io.terok.api.v1.RepositoryPathResponse;
import io.terok.api.v1.RestoreBackupRequest;
import io.terok.api.v1.RestoreBackupResponse;
import io.terok.api.v1.ReviewRequest;
import io.terok.api.v1.RevokeTaskTokenRequest;
import io.terok.api.v1.RevokeTaskTokenResponse;
import io.terok.api.v1.SyncRequest;
import io.terok.api.v1.SyncResponse;
import io.terok.api.v1.TaskTokensRequest;
import io.terok.api.v1.TaskTokensResponse;
import io.terok.api.v1.TrustHostResponse;
import io.terok.common.Ids;
import io.terok.common.ProtoTime;
import io.terok.common.ServiceException;
import io.terok.gate.GateService;
import io.terok.gate.repo.History;
import io.terok.gate.token.TokenStore;
import io.terok.gate.repo.Records;
import io.terok.service.GrpcCalls;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/** terok.v1.GateService: a thin adapter from gRPC to {@link GateService} and its parts. */
@GrpcService
@Blocking
public class GateGrpcService extends GateServiceGrpc.GateServiceImplBase {
    /** Every refusal of the gate is a {@link ServiceException} (GrpcCalls maps it); anything else is INTERNAL. */
    private static final GrpcCalls.Classifier ONLY_SERVICE_EXCEPTIONS = e -> null;

    @Inject
    GateService gate;

    @Override
    public void createProject(CreateProjectRequest r, StreamObserver<Project> out) {
        unary(out, () -> {
            Records.ProjectMeta meta = gate.projects().create(r.getName(), r.getUpstreamUrl());
            if (r.getSync()) {
                try {
                    gate.mirror().sync(meta.name());
                } catch (RuntimeException e) {
                    gate.projects().delete(meta.name());
                    throw e;
                }
            }
            return project(gate.projects().meta(meta.name()));
        });
    }

    @Override
    public void listProjects(ListProjectsRequest r, StreamObserver<ListProjectsResponse> out) {
        unary(out, () -> {
            ListProjectsResponse.Builder b = ListProjectsResponse.newBuilder();
            gate.projects().list().forEach(p -> b.addProjects(project(p)));
            return b.build();
        });
    }

    @Override
    public void deleteProject(DeleteProjectRequest r, StreamObserver<DeleteProjectResponse> out) {
        unary(out, () -> {
            Ids.project("project", r.getProject());
            gate.tokens().revokeProject(r.getProject());
            return DeleteProjectResponse.newBuilder().setDeleted(gate.projects().delete(r.getProject())).build();
        });
    }

    @Override
    public void repositoryPath(ProjectRef r, StreamObserver<RepositoryPathResponse> out) {
        unary(out, () -> {
            gate.projects().meta(Ids.project("project", r.getProject()));
            return RepositoryPathResponse.newBuilder().setPath(gate.projects().path(r.getProject()).toString()).build();
        });
    }

    @Override
    public void mintTaskToken(MintTaskTokenRequest r, StreamObserver<MintTaskTokenResponse> out) {
        unary(out, () -> {
            GateService.TaskAccess a = gate.mint(r.getTaskId(), r.getProject(), r.getHostAddress());
            return MintTaskTokenResponse.newBuilder().setToken(a.token()).setCloneUrl(a.cloneUrl())
                    .putAllEnv(a.env()).addAllHostPorts(a.hostPorts()).build();
        });
    }

    @Override
    public void revokeTaskToken(RevokeTaskTokenRequest r, StreamObserver<RevokeTaskTokenResponse> out) {
        unary(out, () -> {
            return RevokeTaskTokenResponse.newBuilder().setRevoked(gate.revoke(r.getTaskId())).build();
        });
    }

    @Override
    public void taskTokens(TaskTokensRequest r, StreamObserver<TaskTokensResponse> out) {
        unary(out, () -> {
            String task = Ids.taskId("task_id", r.getTaskId());
            List<TokenStore.Entry> held = gate.tokens().list().stream().filter(e -> e.task().equals(task)).toList();
            return TaskTokensResponse.newBuilder().setCount(held.size())
                    .addAllProjects(held.stream().map(TokenStore.Entry::project).distinct().toList()).build();
        });
    }

    @Override
    public void trustHost(ProjectRef r, StreamObserver<TrustHostResponse> out) {
        unary(out, () -> TrustHostResponse.newBuilder()
                .addAllForgotten(gate.projects().forgetHostKeys(Ids.project("project", r.getProject()))).build());
    }

    @Override
    public void pinnedHostKeys(ProjectRef r, StreamObserver<io.terok.api.v1.PinnedHostKeysResponse> out) {
        unary(out, () -> io.terok.api.v1.PinnedHostKeysResponse.newBuilder()
                .addAllKnownHosts(gate.projects().pinnedHostKeys(Ids.project("project", r.getProject()))).build());
    }

    @Override
    public void sync(SyncRequest r, StreamObserver<SyncResponse> out) {
        unary(out, () -> {
            Records.SyncResult s = gate.mirror().sync(Ids.project("project", r.getProject()));
            SyncResponse.Builder b = SyncResponse.newBuilder();
            s.applied().forEach(u -> b.addApplied(update(u)));
            s.pending().forEach(p -> b.addPending(pending(r.getProject(), p)));
            return b.build();
        });
    }

    @Override
    public void listPending(ProjectRef r, StreamObserver<ListPendingResponse> out) {
        unary(out, () -> {
            ListPendingResponse.Builder b = ListPendingResponse.newBuilder();
            gate.mirror().pending(Ids.project("project", r.getProject())).forEach(p -> b.addOperations(pending(r.getProject(), p)));
            return b.build();
        });
    }

    @Override
    public void applyPending(PendingRef r, StreamObserver<PendingOperation> out) {
        unary(out, () -> pending(r.getProject(), gate.mirror().apply(Ids.project("project", r.getProject()), id(r))));
    }

    @Override
    public void dropPending(PendingRef r, StreamObserver<PendingOperation> out) {
        unary(out, () -> pending(r.getProject(), gate.mirror().drop(Ids.project("project", r.getProject()), id(r))));
    }

    @Override
    public void listBackups(ProjectRef r, StreamObserver<ListBackupsResponse> out) {
        unary(out, () -> {
            ListBackupsResponse.Builder b = ListBackupsResponse.newBuilder();
            gate.mirror().backups(Ids.project("project", r.getProject())).forEach(x -> b.addBackups(Backup.newBuilder()
                    .setRef(x.ref()).setBranch(x.branch()).setCommitId(x.commitId()).setCreatedAt(ts(x.createdAt()))));
            return b.build();
        });
    }

    @Override
    public void restoreBackup(RestoreBackupRequest r, StreamObserver<RestoreBackupResponse> out) {
        unary(out, () -> RestoreBackupResponse.newBuilder()
                .setUpdate(update(gate.mirror().restore(Ids.project("project", r.getProject()), r.getBackupRef()))).build());
    }

    @Override
    public void listPushes(ProjectRef r, StreamObserver<ListPushesResponse> out) {
        unary(out, () -> {
            ListPushesResponse.Builder b = ListPushesResponse.newBuilder();
            for (Records.PushRecord p : gate.projects().pushes(Ids.project("project", r.getProject()))) {
                Push.Builder pb = Push.newBuilder().setTime(ts(p.time())).setTaskId(p.task());
                p.updates().forEach(u -> pb.addUpdates(update(u)));
                b.addPushes(pb);
            }
            return b.build();
        });
    }

    @Override
    public void log(ReviewRequest r, StreamObserver<LogResponse> out) {
        unary(out, () -> {
            LogResponse.Builder b = LogResponse.newBuilder();
            gate.mirror().log(Ids.project("project", r.getProject()), r.getBranch(), r.getAgainst()).forEach(c -> b.addCommits(commit(c)));
            return b.build();
        });
    }

    @Override
    public void diff(ReviewRequest r, StreamObserver<DiffResponse> out) {
        unary(out, () -> {
            History.Review v = gate.mirror().diff(Ids.project("project", r.getProject()), r.getBranch(), r.getAgainst());
            DiffResponse.Builder b = DiffResponse.newBuilder().setPatch(v.patch()).setCommit(v.commit())
                    .setUpstreamCommit(v.upstreamCommit()).addAllBinaryFiles(v.binaryFiles()).addAllOmittedFiles(v.omittedFiles());
            v.commits().forEach(c -> b.addCommits(commit(c.entry()).addAllFiles(c.files())));
            return b.build();
        });
    }

    @Override
    public void forward(ForwardRequest r, StreamObserver<ForwardResponse> out) {
        unary(out, () -> ForwardResponse.newBuilder()
                .setUpdate(update(gate.mirror().forward(Ids.project("project", r.getProject()), r.getBranch(), r.getTo(),
                        r.getExpectedCommit()))).build());
    }

    private static Commit.Builder commit(Records.LogEntry c) {
        return Commit.newBuilder().setId(c.id()).setAuthor(c.author()).setTime(ts(c.time())).setSummary(c.summary());
    }

    private static String id(PendingRef r) {
        if (r.getId().isEmpty()) {
            throw ServiceException.invalid("id", "must not be empty");
        }
        return r.getId();
    }

    private static Project project(Records.ProjectMeta m) {
        Project.Builder b = Project.newBuilder().setName(m.name()).setUpstreamUrl(m.upstreamUrl())
                .setDefaultBranch(m.defaultBranch() == null ? "" : m.defaultBranch());
        if (m.lastSyncedAt() != null && !m.lastSyncedAt().isEmpty()) {
            b.setLastSyncedAt(ts(m.lastSyncedAt()));
        }
        return b.build();
    }

    private static RefUpdate update(Records.Update u) {
        return RefUpdate.newBuilder().setRef(u.ref()).setOldId(u.oldId()).setNewId(u.newId()).setKind(u.kind()).build();
    }

    private static PendingOperation pending(String project, Records.Pending p) {
        return PendingOperation.newBuilder().setId(p.id()).setProject(project).setRef(p.ref()).setKind(p.kind())
                .setOldId(p.oldId()).setNewId(p.newId()).setDetectedAt(ts(p.detectedAt())).setStatus(p.status()).build();
    }

    private static Timestamp ts(String iso) {
        return ProtoTime.of(Instant.parse(iso));
    }

    private static <T> void unary(StreamObserver<T> out, Supplier<T> body) {
        GrpcCalls.unary(out, ONLY_SERVICE_EXCEPTIONS, body);
    }
}
