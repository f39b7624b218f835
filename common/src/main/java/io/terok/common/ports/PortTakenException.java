package io.terok.common.ports;

/** A loopback port terok must bind is held by another process; the message is the whole one-line explanation. */
public final class PortTakenException extends RuntimeException {
    private final int port;

    public PortTakenException(int port, String message) {
        super(message);
        this.port = port;
    }

    public int port() {
        return port;
    }
}
