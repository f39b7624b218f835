package io.terok.runtime.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.runtime.compose.ServiceUnavailableException;
import io.terok.runtime.podman.PodmanException;
import io.terok.runtime.spec.InvalidSpecException;
import io.terok.runtime.task.TaskConflictException;
import io.terok.runtime.task.TaskNotFoundException;
import org.jboss.logging.Logger;

/** One place that turns domain failures into gRPC status codes with a message a person can act on. */
final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    static StatusRuntimeException toStatus(Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        Status status;
        if (e instanceof InvalidSpecException) {
            status = Status.INVALID_ARGUMENT;
        } else if (e instanceof TaskNotFoundException) {
            status = Status.NOT_FOUND;
        } else if (e instanceof TaskConflictException c) {
            status = c.alreadyExists() ? Status.ALREADY_EXISTS : Status.FAILED_PRECONDITION;
        } else if (e instanceof ServiceUnavailableException s) {
            status = Status.fromCode(s.code());
        } else if (e instanceof PodmanException p) {
            status = p.timedOut() ? Status.DEADLINE_EXCEEDED
                    : p.unreachable() ? Status.UNAVAILABLE
                    : p.notFound() ? Status.NOT_FOUND
                    : p.conflict() ? Status.ALREADY_EXISTS : Status.INTERNAL;
        } else {
            LOG.error("unexpected failure", e);
            status = Status.INTERNAL;
        }
        return status.withDescription(e.getMessage()).asRuntimeException();
    }
}
