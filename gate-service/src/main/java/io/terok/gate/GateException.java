package io.terok.gate;

/** A refusal with a message a person can act on; {@link Kind} decides the gRPC status. */
public class GateException extends RuntimeException {
    public enum Kind { INVALID, NOT_FOUND, EXISTS, PRECONDITION }

    private final Kind kind;

    public GateException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public GateException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static GateException invalid(String field, String message) {
        return new GateException(Kind.INVALID, field + ": " + message);
    }

    public static GateException notFound(String message) {
        return new GateException(Kind.NOT_FOUND, message);
    }

    public static GateException precondition(String message) {
        return new GateException(Kind.PRECONDITION, message);
    }
}
