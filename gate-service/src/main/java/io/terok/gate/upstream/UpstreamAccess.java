package io.terok.gate.upstream;

import io.terok.common.ServiceException;
import java.nio.file.Path;
import org.eclipse.jgit.api.TransportConfigCallback;

/**
 * How the gate reaches a project's upstream for one operation (a sync or a forward). Each transport implements it:
 * https ({@code io.terok.gate.https}), ssh ({@code io.terok.gate.ssh}) and local paths ({@link Upstreams}), which also
 * picks the transport by URL.
 */
public interface UpstreamAccess {
    /**
     * @param knownHosts the project's pinned host keys (written by ssh on first use)
     * @param purpose "sync" or "forward" (the vault audits it)
     */
    Session open(String project, String url, Path knownHosts, String purpose);

    /** One operation's access to the upstream. */
    interface Session extends AutoCloseable {
        /** For JGit's fetch/push (wires the ssh or http transport; nothing for file://). */
        TransportConfigCallback callback();

        /** The error to report when {@code action} ("fetch from", "push to") failed with {@code e}. */
        ServiceException failure(String action, Exception e);

        @Override
        void close();
    }
}
