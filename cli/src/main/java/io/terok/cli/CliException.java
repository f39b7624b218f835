package io.terok.cli;

/**
 * A failure the user can act on: printed as {@code terok: <message>} plus a hint line, never as a stack
 * trace (unless --debug).
 */
final class CliException extends RuntimeException {
    /** Exit code for failed operations. */
    static final int FAILED = 1;
    /** Exit code for bad command-line input (same as picocli's usage errors). */
    static final int USAGE = 2;

    private final String hint;
    private final int exitCode;

    CliException(String message, String hint) {
        this(message, hint, FAILED, null);
    }

    CliException(String message, String hint, int exitCode, Throwable cause) {
        super(message, cause);
        this.hint = hint;
        this.exitCode = exitCode;
    }

    /** Bad input: {@code invalid value for <option>: '<value>' (<why>)}. */
    static CliException badValue(String option, String value, String why) {
        return new CliException("invalid value for " + option + ": '" + value + "' (" + why + ")",
                null, USAGE, null);
    }

    String hint() {
        return hint;
    }

    int exitCode() {
        return exitCode;
    }
}
