package io.terok.runtime.podman;

/** Podman refused or failed a call; status is podman's HTTP status (0 when podman did not answer). */
public class PodmanException extends RuntimeException {
    private final int status;

    public PodmanException(int status, String message) {
        super(message);
        this.status = status;
    }

    public PodmanException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
    }

    public int status() {
        return status;
    }

    public boolean notFound() {
        return status == 404;
    }

    public boolean unreachable() {
        return status == 0;
    }
}
