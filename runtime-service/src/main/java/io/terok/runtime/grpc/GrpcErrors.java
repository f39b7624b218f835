package io.terok.runtime.grpc;

import io.grpc.Status;
import io.terok.runtime.compose.ServiceUnavailableException;
import io.terok.runtime.podman.PodmanException;
import io.terok.runtime.spec.InvalidSpecException;
import io.terok.runtime.task.TaskConflictException;
import io.terok.runtime.task.TaskNotFoundException;
import io.terok.service.GrpcCalls;

/** Runtime's failures and their gRPC status codes. */
final class GrpcErrors {
    private GrpcErrors() {
    }

    static final GrpcCalls.Classifier CLASSIFIER = e -> {
        if (e instanceof InvalidSpecException) {
            return Status.Code.INVALID_ARGUMENT;
        } else if (e instanceof TaskNotFoundException) {
            return Status.Code.NOT_FOUND;
        } else if (e instanceof TaskConflictException c) {
            return c.alreadyExists() ? Status.Code.ALREADY_EXISTS : Status.Code.FAILED_PRECONDITION;
        } else if (e instanceof ServiceUnavailableException s) {
            return s.code();
        } else if (e instanceof PodmanException p) {
            return p.timedOut() ? Status.Code.DEADLINE_EXCEEDED
                    : p.unreachable() ? Status.Code.UNAVAILABLE
                    : p.notFound() ? Status.Code.NOT_FOUND
                    : p.conflict() ? Status.Code.ALREADY_EXISTS : Status.Code.INTERNAL;
        }
        return null;
    };

    static io.grpc.StatusRuntimeException toStatus(Throwable e) {
        return GrpcCalls.toStatus(e, CLASSIFIER);
    }
}
