package io.terok.gate.https;

import io.terok.common.ServiceException;
import io.terok.gate.upstream.UpstreamAccess;
import java.net.URI;
import java.nio.file.Path;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.TransportHttp;

/**
 * One sync or forward over http(s): JGit's HTTP transport on {@link UpstreamHttp} connections (the gate's trust,
 * credentials only to the upstream's origin) with {@link VaultCredentials}, so that a private https upstream gets the
 * vault's credential for its host when it answers 401, and a public one never causes a vault call. A plain http://
 * upstream never gets a credential.
 */
public final class HttpsAccess implements UpstreamAccess {
    private final CredentialSource source;
    private final UpstreamTls tls;

    /**
     * @param source the vault's git credentials (asked only when the upstream answers 401)
     * @param tls the certificate authorities trusted for https upstreams
     */
    public HttpsAccess(CredentialSource source, UpstreamTls tls) {
        this.source = source;
        this.tls = tls;
    }

    /** {@code knownHosts} is ssh's; https trusts {@link UpstreamTls}. */
    @Override
    public Session open(String project, String url, Path knownHosts, String purpose) {
        URI u = URI.create(url);
        String origin = UpstreamHttp.origin(u.getScheme(), u.getHost(), u.getPort());
        UpstreamHttp connections = new UpstreamHttp(tls, origin);
        VaultCredentials creds = new VaultCredentials(source, project, url, origin, purpose);
        String where = u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "");
        return new Session() {
            @Override
            public TransportConfigCallback callback() {
                return (Transport t) -> {
                    if (!(t instanceof TransportHttp th)) {
                        throw new IllegalStateException("expected an http transport for " + url);
                    }
                    th.setHttpConnectionFactory(connections);
                    th.setCredentialsProvider(creds.forTransport());
                };
            }

            @Override
            public ServiceException failure(String action, Exception e) {
                String what = "cannot " + action + " the upstream of project " + project + " (" + url + "): ";
                String msg = String.valueOf(e.getMessage());
                if (creds.refusal() != null) {
                    return ServiceException.precondition(what + where + " asks for a credential (HTTP 401), but " + creds.refusal()
                            + ". Nothing was fetched or pushed.");
                }
                if (creds.provider() != null && (creds.rejected() || msg.contains("not authorized") || msg.contains("Authentication"))) {
                    return ServiceException.precondition(what + where + " rejected the credential of vault provider " + creds.provider()
                            + " (HTTP 401). Store a valid token with `terok vault add " + creds.provider() + "`. Nothing was fetched or pushed.");
                }
                if (creds.provider() != null && (msg.contains("not permitted") || msg.contains("403"))) {
                    return ServiceException.precondition(what + where + " refused the credential of vault provider " + creds.provider()
                            + " access to the repository (HTTP 403)" + (action.startsWith("push") ? "; forward needs a token with write"
                            + " access" : "") + ": " + msg);
                }
                if (msg.contains("not authorized") || msg.contains("Authentication is required")) {
                    return ServiceException.precondition(what + where + " asks for a credential that the gate could not give: " + msg);
                }
                if (msg.contains("SSL") || msg.contains("certificat")) {
                    return ServiceException.precondition(what + msg + " (the gate trusts " + tls.describe() + "; a private"
                            + " certificate authority goes in terok.gate.upstream-ca-file)");
                }
                return ServiceException.precondition(what + msg);
            }

            @Override
            public void close() {
                creds.close();
            }
        };
    }
}
