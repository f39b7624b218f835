package io.terok.common;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A refusal or failure a person can act on, the same in every service: the message names the field or the fix, and
 * the {@link Kind} decides the gRPC status the caller sees. No stack trace ever reaches the caller.
 */
public class ServiceException extends RuntimeException {
    public enum Kind {
        /** Bad input: the message names the field. */
        INVALID(Status.Code.INVALID_ARGUMENT),
        NOT_FOUND(Status.Code.NOT_FOUND),
        EXISTS(Status.Code.ALREADY_EXISTS),
        /** The system is not in a state that allows the call (locked, not set up, moved on since review). */
        PRECONDITION(Status.Code.FAILED_PRECONDITION),
        /** Wrong secret or not allowed. */
        DENIED(Status.Code.PERMISSION_DENIED),
        /** A service or host program this call needs is not there. */
        UNAVAILABLE(Status.Code.UNAVAILABLE),
        /** The disk, a database file or a host program failed. */
        INTERNAL(Status.Code.INTERNAL);

        private final Status.Code code;

        Kind(Status.Code code) {
            this.code = code;
        }

        public Status.Code code() {
            return code;
        }
    }

    private final Kind kind;

    public ServiceException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ServiceException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public StatusRuntimeException toStatus() {
        return Status.fromCode(kind.code()).withDescription(getMessage()).asRuntimeException();
    }

    /** Bad input in {@code field} (as the caller spelled it, e.g. {@code run_spec.name}). */
    public static ServiceException invalid(String field, String message) {
        return new ServiceException(Kind.INVALID, field + ": " + message);
    }

    public static ServiceException notFound(String message) {
        return new ServiceException(Kind.NOT_FOUND, message);
    }

    public static ServiceException exists(String message) {
        return new ServiceException(Kind.EXISTS, message);
    }

    public static ServiceException precondition(String message) {
        return new ServiceException(Kind.PRECONDITION, message);
    }

    public static ServiceException denied(String message) {
        return new ServiceException(Kind.DENIED, message);
    }

    public static ServiceException unavailable(String message) {
        return new ServiceException(Kind.UNAVAILABLE, message);
    }

    public static ServiceException internal(String message, Throwable cause) {
        return new ServiceException(Kind.INTERNAL, message, cause);
    }
}
