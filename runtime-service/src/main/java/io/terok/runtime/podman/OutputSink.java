package io.terok.runtime.podman;

/** Receives a container's output as podman streams it. */
public interface OutputSink {
    /** @param stream 1 for stdout, 2 for stderr */
    void output(int stream, byte[] data);

    void end(Throwable error);
}
