package io.terok.runtime.compose;

/**
 * A service a launch needs did not answer, or refused the request; the launch fails closed. An unavailable
 * service gives FAILED_PRECONDITION; a refusal keeps the service's own status code (an unknown provider
 * stays INVALID_ARGUMENT).
 */
public class ServiceUnavailableException extends RuntimeException {
    private final String service;
    private final io.grpc.Status.Code code;
    private final boolean unavailable;

    /** The service is absent, incomplete or too slow. */
    public ServiceUnavailableException(String service, String message) {
        super(message);
        this.service = service;
        this.code = io.grpc.Status.Code.FAILED_PRECONDITION;
        this.unavailable = true;
    }

    /** The service answered and refused this request with the given code. */
    public ServiceUnavailableException(String service, String message, io.grpc.Status.Code code) {
        super(message);
        this.service = service;
        this.code = code;
        this.unavailable = false;
    }

    public String service() {
        return service;
    }

    public io.grpc.Status.Code code() {
        return code;
    }

    /** True when the service is absent or incomplete, as opposed to refusing this particular request. */
    public boolean unavailable() {
        return unavailable;
    }
}
