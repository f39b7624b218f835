package io.terok.shield;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.terok.api.v1.AuditLogRequest;
import io.terok.api.v1.AuditLogResponse;
import io.terok.api.v1.AuditRecord;
import io.terok.api.v1.BlockedConnection;
import io.terok.api.v1.BlockedEventsRequest;
import io.terok.api.v1.DownRequest;
import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import io.terok.api.v1.ListProfilesRequest;
import io.terok.api.v1.ListProfilesResponse;
import io.terok.api.v1.PrepareTaskRequest;
import io.terok.api.v1.PrepareTaskResponse;
import io.terok.api.v1.PreviewRequest;
import io.terok.api.v1.Profile;
import io.terok.api.v1.ReleaseTaskResponse;
import io.terok.api.v1.RulesResponse;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.ShieldState;
import io.terok.api.v1.ShieldStatus;
import io.terok.api.v1.ShieldTaskRef;
import io.terok.api.v1.TargetRequest;
import io.terok.common.Ids;
import io.terok.common.ProtoTime;
import io.terok.common.ServiceException;
import io.terok.service.GrpcCalls;
import io.terok.shield.events.BlockedEvent;
import io.terok.shield.events.BlockedEventHub;
import io.terok.shield.hooks.HooksInstaller;
import io.terok.shield.policy.Mode;
import io.terok.shield.task.ShieldManager;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/** Thin adapter: terok.v1.ShieldService onto {@link ShieldManager}, {@link HooksInstaller} and {@link BlockedEventHub}. */
@GrpcService
@Blocking
public class ShieldGrpcService extends ShieldServiceGrpc.ShieldServiceImplBase {
    private static final Logger LOG = Logger.getLogger(ShieldGrpcService.class);

    @Inject
    ShieldManager shield;
    @Inject
    HooksInstaller hooks;
    @Inject
    BlockedEventHub events;

    @Override
    public void prepareTask(PrepareTaskRequest r, StreamObserver<PrepareTaskResponse> out) {
        unary(out, () -> {
            ShieldManager.Prepared p = shield.prepare(r.getTaskId(), r.getContainerName(), r.getProfilesList(),
                    r.getHostPortsList(), r.getHostAddress(), r.getRelayedHostsList());
            return PrepareTaskResponse.newBuilder().putAllAnnotations(p.annotations()).addAllDnsServers(p.dnsServers()).build();
        });
    }

    @Override
    public void releaseTask(ShieldTaskRef r, StreamObserver<ReleaseTaskResponse> out) {
        unary(out, () -> {
            boolean released = shield.release(r.getTaskId());
            events.stateChanged(r.getTaskId(), ShieldState.SHIELD_STATE_INACTIVE.name());
            return ReleaseTaskResponse.newBuilder().setReleased(released).build();
        });
    }

    @Override
    public void allow(TargetRequest r, StreamObserver<ShieldStatus> out) {
        unary(out, () -> {
            if (r.getHostPort() != 0) {
                if (!r.getTarget().isEmpty() || r.getPort() != 0) {
                    throw ServiceException.invalid("host_port", "is given alone (no target, no port)");
                }
                return status(shield.allowHostPort(r.getTaskId(), r.getHostPort()));
            }
            return status(shield.allow(r.getTaskId(), r.getTarget(), r.getPort(), r.getProtocol()));
        });
    }

    @Override
    public void deny(TargetRequest r, StreamObserver<ShieldStatus> out) {
        unary(out, () -> status(shield.deny(r.getTaskId(), r.getTarget())));
    }

    @Override
    public void up(ShieldTaskRef r, StreamObserver<ShieldStatus> out) {
        unary(out, () -> announced(status(shield.up(r.getTaskId()))));
    }

    @Override
    public void down(DownRequest r, StreamObserver<ShieldStatus> out) {
        unary(out, () -> announced(status(shield.down(r.getTaskId(), r.getAll()))));
    }

    @Override
    public void block(ShieldTaskRef r, StreamObserver<ShieldStatus> out) {
        unary(out, () -> announced(status(shield.block(r.getTaskId()))));
    }

    @Override
    public void rules(ShieldTaskRef r, StreamObserver<RulesResponse> out) {
        unary(out, () -> RulesResponse.newBuilder().setRuleset(shield.rules(r.getTaskId())).build());
    }

    @Override
    public void status(ShieldTaskRef r, StreamObserver<ShieldStatus> out) {
        unary(out, () -> status(shield.status(r.getTaskId(), r.getCounters())));
    }

    @Override
    public void preview(PreviewRequest r, StreamObserver<RulesResponse> out) {
        unary(out, () -> RulesResponse.newBuilder()
                .setRuleset(shield.preview(r.getProfilesList(), r.getDown(), r.getAll())).build());
    }

    @Override
    public void listProfiles(ListProfilesRequest r, StreamObserver<ListProfilesResponse> out) {
        unary(out, () -> {
            ListProfilesResponse.Builder b = ListProfilesResponse.newBuilder();
            shield.profiles().all().forEach(p -> b.addProfiles(Profile.newBuilder().setName(p.name())
                    .setOrigin(p.origin()).addAllEntries(p.entries().stream().map(Object::toString).toList())));
            return b.build();
        });
    }

    @Override
    public void auditLog(AuditLogRequest r, StreamObserver<AuditLogResponse> out) {
        unary(out, () -> {
            AuditLogResponse.Builder b = AuditLogResponse.newBuilder();
            shield.auditLog(r.getTaskId(), r.getLimit()).forEach(e -> b.addRecords(AuditRecord.newBuilder()
                    .setTime(ProtoTime.of(e.time())).setTaskId(e.task()).setAction(e.action()).setDestination(e.destination())
                    .setDetail(e.detail())));
            return b.build();
        });
    }

    @Override
    public void blockedEvents(BlockedEventsRequest r, StreamObserver<BlockedConnection> out) {
        String task = r.getTaskId();
        if (!task.isEmpty()) {
            try {
                Ids.taskId("task_id", task);
            } catch (ServiceException e) {
                out.onError(e.toStatus());
                return;
            }
        }
        ServerCallStreamObserver<BlockedConnection> so = (ServerCallStreamObserver<BlockedConnection>) out;
        AutoCloseable sub = events.subscribe(task, r.getIncludePassed(), e -> {
            synchronized (so) {
                if (!so.isCancelled()) {
                    so.onNext(event(e));
                }
            }
        });
        so.setOnCancelHandler(() -> {
            try {
                sub.close();
            } catch (Exception ignored) {
                // nothing to do
            }
        });
    }

    @Override
    public void installHooks(HooksRequest r, StreamObserver<HooksStatus> out) {
        unary(out, () -> {
            try {
                HooksInstaller.Status s = hooks.install();
                LOG.infof("installed the shield hooks in %s (registered in %s)", s.hooksDir(), s.registration());
                return hooks(s).setNote("podman reads hooks_dir when it starts: restart a running `podman system "
                        + "service` (terok services down/up) so new containers get the firewall").build();
            } catch (IOException e) {
                throw ServiceException.precondition("cannot install the shield hooks: " + e.getMessage());
            }
        });
    }

    @Override
    public void uninstallHooks(HooksRequest r, StreamObserver<HooksStatus> out) {
        unary(out, () -> {
            try {
                hooks.uninstall();
                LOG.infof("removed the shield hooks from %s", hooks.hooksDir());
                return hooks(hooks.status()).build();
            } catch (IOException e) {
                throw ServiceException.precondition("cannot remove the shield hooks: " + e.getMessage());
            }
        });
    }

    @Override
    public void getHooksStatus(HooksRequest r, StreamObserver<HooksStatus> out) {
        unary(out, () -> hooks(hooks.status()).build());
    }

    private static HooksStatus.Builder hooks(HooksInstaller.Status s) {
        return HooksStatus.newBuilder().setInstalled(s.installed()).setStale(s.stale()).addAllProblems(s.problems())
                .setHooksDir(s.hooksDir().toString()).setRegistrationFile(s.registration().toString());
    }

    static ShieldStatus status(ShieldManager.Status s) {
        return ShieldStatus.newBuilder().setTaskId(s.taskId()).setState(s.liveMode().map(ShieldGrpcService::state)
                        .orElse(ShieldState.SHIELD_STATE_INACTIVE)).setConfiguredState(state(s.mode()))
                .addAllAllowed(s.allowed()).addAllDenied(s.denied()).addAllProfiles(s.profiles()).addAllNotes(s.notes())
                .setAppliedContainerId(s.appliedContainer()).addAllRelayed(s.relayed()).setFloodDropped(s.floodDropped()).build();
    }

    static ShieldState state(Mode m) {
        return switch (m) {
            case UP -> ShieldState.SHIELD_STATE_UP;
            case DOWN -> ShieldState.SHIELD_STATE_DOWN;
            case DOWN_ALL -> ShieldState.SHIELD_STATE_DOWN_ALL;
            case BLOCKED -> ShieldState.SHIELD_STATE_BLOCKED;
        };
    }

    /** Up, down and block reach the event stream too, so clearance stops asking about what no longer applies. */
    private ShieldStatus announced(ShieldStatus s) {
        events.stateChanged(s.getTaskId(), s.getConfiguredState().name());
        return s;
    }

    static BlockedConnection event(BlockedEvent e) {
        BlockedConnection.Builder b = BlockedConnection.newBuilder().setTaskId(e.taskId()).setDestinationIp(e.destinationIp())
                .setDestinationPort(e.destinationPort()).setProtocol(e.protocol()).setDomain(e.domain() == null ? "" : e.domain())
                .setTime(ProtoTime.of(e.time())).setCount(e.count()).setPassed(e.passed());
        if (!e.shieldState().isEmpty()) {
            b.setShieldState(ShieldState.valueOf(e.shieldState()));
        }
        return b.build();
    }

    /**
     * Every failure the shield expects is a {@link ServiceException} and carries its status. A PRECONDITION one is
     * the state of a task's container or of the host (a namespace that is gone, nft refusing, hooks missing), not a
     * bug: logged as a warning, without a stack trace.
     */
    private static <T> void unary(StreamObserver<T> out, Supplier<T> call) {
        GrpcCalls.unary(out, unexpected -> null, () -> {
            try {
                return call.get();
            } catch (ServiceException e) {
                if (e.kind() == ServiceException.Kind.PRECONDITION) {
                    LOG.warn(e.getMessage());
                }
                throw e;
            }
        });
    }
}
