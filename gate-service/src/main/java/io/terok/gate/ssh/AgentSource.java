package io.terok.gate.ssh;

import java.nio.file.Path;

/**
 * Where the gate gets an SSH agent for one operation on a project's upstream: in the service, the vault's
 * {@code OpenProjectAgent} ({@link VaultAgentSource}). The gate never holds a key; it only points {@code ssh} at the
 * agent's socket for the time of one sync or forward.
 */
public interface AgentSource {
    /**
     * Opens an agent serving the project's keys.
     *
     * @throws io.terok.common.ServiceException (precondition) naming the cause and the command that fixes it
     */
    Lease open(String project, String purpose);

    /** An open agent; {@link #close()} ends it (idempotent, never throws). */
    interface Lease extends AutoCloseable {
        Path socket();

        @Override
        void close();
    }
}
