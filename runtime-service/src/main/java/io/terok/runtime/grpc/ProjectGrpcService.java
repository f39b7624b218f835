package io.terok.runtime.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.terok.api.v1.DeleteProjectSettingsRequest;
import io.terok.api.v1.DeleteProjectSettingsResponse;
import io.terok.api.v1.InitProjectEvent;
import io.terok.api.v1.InitProjectRequest;
import io.terok.api.v1.ListProjectSettingsRequest;
import io.terok.api.v1.ListProjectSettingsResponse;
import io.terok.api.v1.ProjectInfo;
import io.terok.api.v1.ProjectServiceGrpc;
import io.terok.api.v1.ShowProjectRequest;
import io.terok.runtime.project.ProjectSetup;
import io.terok.service.GrpcCalls;
import jakarta.inject.Inject;

/** terok.v1.ProjectService: a thin adapter from gRPC to {@link ProjectSetup}. */
@GrpcService
@Blocking
public class ProjectGrpcService extends ProjectServiceGrpc.ProjectServiceImplBase {
    private static final GrpcCalls.Classifier NO_OTHER_FAILURES = e -> null;

    @Inject
    ProjectSetup projects;

    @Override
    public void init(InitProjectRequest request, StreamObserver<InitProjectEvent> out) {
        ServerCallStreamObserver<InitProjectEvent> call = (ServerCallStreamObserver<InitProjectEvent>) out;
        ProjectInfo info;
        try {
            info = projects.init(request.getSettings(), line -> {
                synchronized (call) {
                    // A client that went away does not stop the init half-way: it finishes (or undoes) on its own.
                    if (!call.isCancelled()) {
                        call.onNext(InitProjectEvent.newBuilder().setProgress(line).build());
                    }
                }
            });
        } catch (RuntimeException e) {
            if (!call.isCancelled()) {
                out.onError(GrpcCalls.toStatus(e, NO_OTHER_FAILURES));
            }
            return;
        }
        if (!call.isCancelled()) {
            out.onNext(InitProjectEvent.newBuilder().setProject(info).build());
            out.onCompleted();
        }
    }

    @Override
    public void list(ListProjectSettingsRequest request, StreamObserver<ListProjectSettingsResponse> out) {
        GrpcCalls.unary(out, NO_OTHER_FAILURES, () -> {
            ProjectSetup.Listing l = projects.list();
            return ListProjectSettingsResponse.newBuilder().addAllProjects(l.projects()).addAllBroken(l.broken()).build();
        });
    }

    @Override
    public void show(ShowProjectRequest request, StreamObserver<ProjectInfo> out) {
        GrpcCalls.unary(out, NO_OTHER_FAILURES, () -> projects.show(request.getProject()));
    }

    @Override
    public void delete(DeleteProjectSettingsRequest request, StreamObserver<DeleteProjectSettingsResponse> out) {
        GrpcCalls.unary(out, NO_OTHER_FAILURES,
                () -> DeleteProjectSettingsResponse.newBuilder().addAllRemoved(projects.delete(request.getProject())).build());
    }
}
