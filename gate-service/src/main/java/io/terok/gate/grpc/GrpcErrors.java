package io.terok.gate.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.gate.GateException;
import org.jboss.logging.Logger;

/** Domain failures to gRPC status codes, with the message unchanged. */
final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    static StatusRuntimeException toStatus(Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        Status status;
        if (e instanceof GateException g) {
            status = switch (g.kind()) {
                case INVALID -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case EXISTS -> Status.ALREADY_EXISTS;
                case PRECONDITION -> Status.FAILED_PRECONDITION;
            };
        } else {
            LOG.error("unexpected failure", e);
            status = Status.INTERNAL;
        }
        return status.withDescription(e.getMessage()).asRuntimeException();
    }
}
