package io.terok.runtime.compose;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.common.ServiceException;

/**
 * A service a launch needs did not answer, or refused the request; the launch fails closed. An unavailable
 * service gives FAILED_PRECONDITION; a refusal keeps the service's own status code (an unknown provider
 * stays INVALID_ARGUMENT).
 *
 * <p>A subclass of {@link ServiceException} rather than one of its kinds because the launch catches it by type: an
 * absent service is a warning where its part is best effort (the SSH agent) and a failure line in release, while
 * a refusal passes through; and a refusal carries the other service's exact status code, which a kind may not
 * express.
 */
public class ServiceUnavailableException extends ServiceException {
    private final String service;
    private final Status.Code code;
    private final boolean unavailable;

    /** The service is absent, incomplete or too slow. */
    public ServiceUnavailableException(String service, String message) {
        super(Kind.PRECONDITION, message);
        this.service = service;
        this.code = Status.Code.FAILED_PRECONDITION;
        this.unavailable = true;
    }

    /** The service answered and refused this request with the given code. */
    public ServiceUnavailableException(String service, String message, Status.Code code) {
        super(kindOf(code), message);
        this.service = service;
        this.code = code;
        this.unavailable = false;
    }

    private static Kind kindOf(Status.Code code) {
        for (Kind k : Kind.values()) {
            if (k.code() == code && k != Kind.INTERNAL) {
                return k;
            }
        }
        return Kind.PRECONDITION;
    }

    public String service() {
        return service;
    }

    public Status.Code code() {
        return code;
    }

    /** True when the service is absent or incomplete, as opposed to refusing this particular request. */
    public boolean unavailable() {
        return unavailable;
    }

    @Override
    public StatusRuntimeException toStatus() {
        return Status.fromCode(code).withDescription(getMessage()).asRuntimeException();
    }
}
