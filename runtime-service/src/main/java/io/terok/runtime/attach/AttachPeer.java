package io.terok.runtime.attach;

import io.terok.api.v1.AttachOutput;

/** The client end of an attach session: where its output goes, at the pace the client takes it. */
public interface AttachPeer {
    /**
     * Hands one message to the client, blocking while the client is not ready for more: this is the session's
     * backpressure, so a task writing faster than its client reads is held back at podman's socket, not buffered
     * here. Returns false when the client is gone.
     */
    boolean send(AttachOutput message);

    /** The session is over ({@code error} null after the last message), or failed. */
    void finish(Throwable error);
}
