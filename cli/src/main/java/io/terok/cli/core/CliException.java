package io.terok.cli.core;

/**
 * A failure the user can act on: printed as {@code terok: <message>} plus a hint line, never as a stack
 * trace (unless --debug).
 */
public final class CliException extends RuntimeException {
    /** Exit code for failed operations. */
    public static final int FAILED = 1;
    /** Exit code for bad command-line input (same as picocli's usage errors). */
    public static final int USAGE = 2;

    private final String hint;
    private final int exitCode;

    public CliException(String message, String hint) {
        this(message, hint, FAILED, null);
    }

    public CliException(String message, String hint, int exitCode, Throwable cause) {
        super(message, cause);
        this.hint = hint;
        this.exitCode = exitCode;
    }

    /** Bad input: {@code invalid value for <option>: '<value>' (<why>)}. */
    public static CliException badValue(String option, String value, String why) {
        return new CliException("invalid value for " + option + ": '" + value + "' (" + why + ")",
                null, USAGE, null);
    }

    public String hint() {
        return hint;
    }

    public int exitCode() {
        return exitCode;
    }
}
