package io.terok.vault.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.vault.VaultException;
import org.jboss.logging.Logger;

/** Domain failures to gRPC status codes, with the message (cause and fix) and never a stack trace to the caller. */
final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    static StatusRuntimeException toStatus(Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        Status status;
        if (e instanceof VaultException v) {
            status = switch (v.kind()) {
                case INVALID -> Status.INVALID_ARGUMENT;
                case PRECONDITION -> Status.FAILED_PRECONDITION;
                case DENIED -> Status.PERMISSION_DENIED;
                case NOT_FOUND -> Status.NOT_FOUND;
                case INTERNAL -> Status.INTERNAL;
            };
            if (v.kind() == VaultException.Kind.INTERNAL) {
                LOG.error(v.getMessage(), v.getCause());
            }
        } else {
            LOG.error("unexpected failure", e);
            status = Status.INTERNAL;
        }
        return status.withDescription(e.getMessage()).asRuntimeException();
    }
}
