package io.terok.runtime.podman;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.common.ServiceException;

/**
 * Podman refused or failed a call; status is podman's HTTP status (0 when podman did not answer).
 *
 * <p>A subclass of {@link ServiceException} because callers catch it by type and ask what podman said (a removal
 * treats "no such container" as done), and because a call that ran out of time answers DEADLINE_EXCEEDED, which no
 * kind expresses: the call may still complete on podman's side.
 */
public class PodmanException extends ServiceException {
    private final int status;
    private final boolean timedOut;

    public PodmanException(int status, String message) {
        this(status, message, false);
    }

    private PodmanException(int status, String message, boolean timedOut) {
        super(kindOf(status, message, timedOut), message);
        this.status = status;
        this.timedOut = timedOut;
    }

    public PodmanException(String message, Throwable cause) {
        super(Kind.UNAVAILABLE, message, cause);
        this.status = 0;
        this.timedOut = false;
    }

    /** Podman did not finish within our bound: the call may still complete on podman's side. */
    public static PodmanException timeout(String message) {
        return new PodmanException(0, message, true);
    }

    private static Kind kindOf(int status, String message, boolean timedOut) {
        if (timedOut || status == 0) {
            return Kind.UNAVAILABLE;
        }
        if (status == 404) {
            return Kind.NOT_FOUND;
        }
        return isConflict(status, message) ? Kind.EXISTS : Kind.INTERNAL;
    }

    public boolean timedOut() {
        return timedOut;
    }

    public int status() {
        return status;
    }

    public boolean notFound() {
        return status == 404;
    }

    /** Podman reports a name already in use (as 409, or as 500 with that message on podman 4). */
    public boolean conflict() {
        return isConflict(status, getMessage());
    }

    private static boolean isConflict(int status, String message) {
        return status == 409 || (status == 500 && String.valueOf(message).contains("already in use"));
    }

    public boolean unreachable() {
        return status == 0;
    }

    @Override
    public StatusRuntimeException toStatus() {
        return timedOut ? Status.DEADLINE_EXCEEDED.withDescription(getMessage()).asRuntimeException() : super.toStatus();
    }
}
