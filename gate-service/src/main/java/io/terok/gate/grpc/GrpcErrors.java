package io.terok.gate.grpc;

import io.grpc.Status;
import io.terok.gate.GateException;
import io.terok.service.GrpcCalls;

/** The gate's failures and their gRPC status codes. */
final class GrpcErrors {
    private GrpcErrors() {
    }

    static final GrpcCalls.Classifier CLASSIFIER = e -> e instanceof GateException g ? switch (g.kind()) {
        case INVALID -> Status.Code.INVALID_ARGUMENT;
        case NOT_FOUND -> Status.Code.NOT_FOUND;
        case EXISTS -> Status.Code.ALREADY_EXISTS;
        case PRECONDITION -> Status.Code.FAILED_PRECONDITION;
    } : null;
}
