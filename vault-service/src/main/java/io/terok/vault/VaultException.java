package io.terok.vault;

/**
 * A vault failure a person can act on: the message names the cause and, where there is one, the command that
 * fixes it. {@link Kind} decides the gRPC status; no stack trace reaches the caller.
 */
public class VaultException extends RuntimeException {
    public enum Kind {
        /** Bad input: the message names the field. */
        INVALID,
        /** The vault is locked, not initialised, or a passphrase tier is broken. */
        PRECONDITION,
        /** Wrong passphrase. */
        DENIED,
        NOT_FOUND,
        /** The database file or the disk failed. */
        INTERNAL
    }

    private final Kind kind;

    public VaultException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public VaultException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static VaultException invalid(String message) {
        return new VaultException(Kind.INVALID, message);
    }

    public static VaultException precondition(String message) {
        return new VaultException(Kind.PRECONDITION, message);
    }

    public static VaultException locked() {
        return precondition("the vault is locked: run `terok vault unlock`");
    }
}
