package io.terok.runtime.podman;

/** Podman refused or failed a call; status is podman's HTTP status (0 when podman did not answer). */
public class PodmanException extends RuntimeException {
    private final int status;
    private final boolean timedOut;

    public PodmanException(int status, String message) {
        this(status, message, false);
    }

    private PodmanException(int status, String message, boolean timedOut) {
        super(message);
        this.status = status;
        this.timedOut = timedOut;
    }

    /** Podman did not finish within our bound: the call may still complete on podman's side. */
    public static PodmanException timeout(String message) {
        return new PodmanException(0, message, true);
    }

    public boolean timedOut() {
        return timedOut;
    }

    public PodmanException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.timedOut = false;
    }

    public int status() {
        return status;
    }

    public boolean notFound() {
        return status == 404;
    }

    /** Podman reports a name already in use (as 409, or as 500 with that message on podman 4). */
    public boolean conflict() {
        return status == 409 || (status == 500 && String.valueOf(getMessage()).contains("already in use"));
    }

    public boolean unreachable() {
        return status == 0;
    }
}
