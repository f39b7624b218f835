package io.terok.gate.upstream;

import io.terok.common.ServiceException;
import java.nio.file.Path;
import org.eclipse.jgit.api.TransportConfigCallback;

/**
 * The gate's access to any upstream: http(s):// goes to the https transport, ssh to the ssh transport (both given,
 * so that neither depends on the other), and file:// is JGit's own, with nothing to wire.
 */
public final class Upstreams implements UpstreamAccess {
    private final UpstreamAccess https;
    private final UpstreamAccess ssh;

    public Upstreams(UpstreamAccess https, UpstreamAccess ssh) {
        this.https = https;
        this.ssh = ssh;
    }

    @Override
    public Session open(String project, String url, Path knownHosts, String purpose) {
        if (UpstreamUrls.isHttp(url)) {
            return https.open(project, url, knownHosts, purpose);
        }
        if (UpstreamUrls.isSsh(url)) {
            return ssh.open(project, url, knownHosts, purpose);
        }
        return new Session() {
            @Override
            public TransportConfigCallback callback() {
                return t -> { };
            }

            @Override
            public ServiceException failure(String action, Exception e) {
                return ServiceException.precondition("cannot " + action + " upstream " + url + ": " + e.getMessage());
            }

            @Override
            public void close() {
            }
        };
    }
}
