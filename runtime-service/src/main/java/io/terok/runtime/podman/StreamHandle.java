package io.terok.runtime.podman;

/** A running stream from podman (logs, events) that its consumer can cut. */
public interface StreamHandle extends AutoCloseable {
    @Override
    void close();
}
