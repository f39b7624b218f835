package io.terok.clearance.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.terok.api.v1.ClearanceEvent;
import io.terok.api.v1.ClearanceEventsRequest;
import io.terok.api.v1.ClearanceRequest;
import io.terok.api.v1.ClearanceServiceGrpc;
import io.terok.api.v1.ClearanceStatus;
import io.terok.api.v1.ClearanceStatusRequest;
import io.terok.api.v1.ListPendingRequestsRequest;
import io.terok.api.v1.ListPendingRequestsResponse;
import io.terok.api.v1.RegisterTaskRequest;
import io.terok.api.v1.RegisterTaskResponse;
import io.terok.api.v1.UnregisterTaskRequest;
import io.terok.api.v1.UnregisterTaskResponse;
import io.terok.api.v1.VerdictRequest;
import io.terok.api.v1.VerdictResponse;
import io.terok.clearance.ClearanceBeans;
import io.terok.clearance.desktop.DesktopNotifier;
import io.terok.clearance.domain.Clearance;
import io.terok.clearance.domain.ClearanceListener;
import io.terok.clearance.domain.Decision;
import io.terok.clearance.domain.Outcome;
import io.terok.clearance.domain.PendingRequest;
import io.terok.clearance.shield.ShieldLink;
import io.terok.common.ProtoTime;
import io.terok.common.ServiceException;
import io.terok.service.GrpcCalls;
import jakarta.inject.Inject;

/**
 * terok.v1.ClearanceService: the same requests and verdicts the desktop gets, for terminals and tools. Refusals
 * are {@link ServiceException}s from {@link Clearance} (a bad task id INVALID_ARGUMENT, a verdict on anything
 * clearance did not ask about PERMISSION_DENIED).
 */
@GrpcService
@Blocking
public class ClearanceGrpcService extends ClearanceServiceGrpc.ClearanceServiceImplBase {
    /** Clearance refuses only with {@link ServiceException}s; anything else is unexpected (INTERNAL). */
    private static final GrpcCalls.Classifier NO_OTHER_FAILURES = failure -> null;

    @Inject
    Clearance clearance;

    @Inject
    ShieldLink shield;

    @Inject
    ClearanceBeans beans;

    @Override
    public void registerTask(RegisterTaskRequest request, StreamObserver<RegisterTaskResponse> out) {
        GrpcCalls.unary(out, NO_OTHER_FAILURES, () -> {
            clearance.registerTask(request.getTaskId(), request.getName(), request.getProject());
            return RegisterTaskResponse.getDefaultInstance();
        });
    }

    @Override
    public void unregisterTask(UnregisterTaskRequest request, StreamObserver<UnregisterTaskResponse> out) {
        GrpcCalls.unary(out, NO_OTHER_FAILURES, () -> UnregisterTaskResponse.newBuilder()
                .setDropped(clearance.unregisterTask(request.getTaskId(), "the task was removed")).build());
    }

    @Override
    public void listPending(ListPendingRequestsRequest request, StreamObserver<ListPendingRequestsResponse> out) {
        ListPendingRequestsResponse.Builder b = ListPendingRequestsResponse.newBuilder();
        clearance.pending(request.getTaskId()).forEach(r -> b.addRequests(toProto(r)));
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void events(ClearanceEventsRequest request, StreamObserver<ClearanceEvent> out) {
        ServerCallStreamObserver<ClearanceEvent> call = (ServerCallStreamObserver<ClearanceEvent>) out;
        String only = request.getTaskId();
        ClearanceListener l = new ClearanceListener() {
            @Override
            public void requested(PendingRequest r) {
                if (matches(r)) {
                    send(ClearanceEvent.newBuilder().setRequested(toProto(r)).build());
                }
            }

            @Override
            public void resolved(PendingRequest r, Outcome o) {
                if (matches(r)) {
                    send(ClearanceEvent.newBuilder().setResolved(toProto(o)).build());
                }
            }

            private boolean matches(PendingRequest r) {
                return only.isEmpty() || only.equals(r.taskId());
            }

            private void send(ClearanceEvent e) {
                synchronized (call) {
                    if (!call.isCancelled()) {
                        call.onNext(e);
                    }
                }
            }
        };
        call.setOnCancelHandler(() -> clearance.removeListener(l));
        clearance.addListener(l);
        // What is already pending comes first, so a terminal that attaches late sees it.
        clearance.pending(only).forEach(l::requested);
    }

    @Override
    public void verdict(VerdictRequest request, StreamObserver<VerdictResponse> out) {
        GrpcCalls.unary(out, NO_OTHER_FAILURES, () -> {
            Decision d = switch (request.getDecision()) {
                case DECISION_ALLOW -> Decision.ALLOW;
                case DECISION_DENY -> Decision.DENY;
                default -> throw ServiceException.invalid("decision", "must be ALLOW or DENY");
            };
            return toProto(clearance.verdict(request.getRequestId(), request.getTaskId(), request.getDestinationIp(),
                    request.getDestinationPort(), d));
        });
    }

    @Override
    public void status(ClearanceStatusRequest request, StreamObserver<ClearanceStatus> out) {
        DesktopNotifier desktop = beans.desktop();
        String detail = desktop == null ? "no session bus" : desktop.status();
        out.onNext(ClearanceStatus.newBuilder()
                .setDesktop(desktop != null && detail != null && detail.startsWith("notifications"))
                .setDesktopDetail(detail == null ? "" : detail)
                .setShieldConnected(shield.connected()).setShieldDetail(shield.detail())
                .setPending(clearance.pending(null).size()).build());
        out.onCompleted();
    }

    static ClearanceRequest toProto(PendingRequest r) {
        return ClearanceRequest.newBuilder().setId(r.id()).setTaskId(r.taskId()).setTaskName(r.taskName())
                .setProject(r.project()).setDestinationIp(r.destination().ip()).setDestinationPort(r.destination().port())
                .setProtocol(r.destination().protocol()).setDomain(r.domain()).setCount(r.count())
                .setFirstSeen(ProtoTime.of(r.firstSeen())).setLastSeen(ProtoTime.of(r.lastSeen())).build();
    }

    static VerdictResponse toProto(Outcome o) {
        io.terok.api.v1.Outcome kind = switch (o.kind()) {
            case ALLOWED -> io.terok.api.v1.Outcome.OUTCOME_ALLOWED;
            case DENIED -> io.terok.api.v1.Outcome.OUTCOME_DENIED;
            case FAILED -> io.terok.api.v1.Outcome.OUTCOME_FAILED;
            case DROPPED -> io.terok.api.v1.Outcome.OUTCOME_DROPPED;
        };
        return VerdictResponse.newBuilder().setRequestId(o.requestId()).setOutcome(kind).setDetail(o.detail()).build();
    }
}
