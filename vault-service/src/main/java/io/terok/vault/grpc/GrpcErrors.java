package io.terok.vault.grpc;

import io.grpc.Status;
import io.terok.service.GrpcCalls;
import io.terok.vault.VaultException;
import org.jboss.logging.Logger;

/** The vault's failures and their gRPC status codes; the message (cause and fix) goes to the caller as is. */
final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    static final GrpcCalls.Classifier CLASSIFIER = e -> {
        if (!(e instanceof VaultException v)) {
            return null;
        }
        if (v.kind() == VaultException.Kind.INTERNAL) {
            LOG.error(v.getMessage(), v.getCause());
        }
        return switch (v.kind()) {
            case INVALID -> Status.Code.INVALID_ARGUMENT;
            case PRECONDITION -> Status.Code.FAILED_PRECONDITION;
            case DENIED -> Status.Code.PERMISSION_DENIED;
            case NOT_FOUND -> Status.Code.NOT_FOUND;
            case INTERNAL -> Status.Code.INTERNAL;
        };
    };

    static io.grpc.StatusRuntimeException toStatus(Throwable e) {
        return GrpcCalls.toStatus(e, CLASSIFIER);
    }
}
