package io.terok.service;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.terok.common.ServiceException;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The unary-call shape every terok service shares: run the domain call and answer, or turn its failure into a
 * status whose description is the domain's message (it names the field or the fix). A {@link ServiceException}
 * carries its own status; the classifier maps a service's other failures. Failures a service does not expect
 * become INTERNAL and are logged with their stack trace, which never reaches the caller.
 */
public final class GrpcCalls {
    private static final Logger LOG = Logger.getLogger(GrpcCalls.class);

    private GrpcCalls() {
    }

    /** A service's mapping of its own failures to status codes; null for a failure it does not expect. */
    @FunctionalInterface
    public interface Classifier {
        Status.Code classify(RuntimeException failure);
    }

    public static <T> void unary(StreamObserver<T> out, Classifier classifier, Supplier<T> body) {
        T result;
        try {
            result = body.get();
        } catch (RuntimeException e) {
            out.onError(toStatus(e, classifier));
            return;
        }
        out.onNext(result);
        out.onCompleted();
    }

    public static StatusRuntimeException toStatus(Throwable e, Classifier classifier) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        if (e instanceof ServiceException s) {
            if (s.kind() == ServiceException.Kind.INTERNAL) {
                LOG.error(s.getMessage(), s);
            }
            return s.toStatus();
        }
        Status.Code code = e instanceof RuntimeException r ? classifier.classify(r) : null;
        if (code == null) {
            LOG.error("unexpected failure", e);
            code = Status.Code.INTERNAL;
        }
        return Status.fromCode(code).withDescription(e.getMessage()).asRuntimeException();
    }
}
