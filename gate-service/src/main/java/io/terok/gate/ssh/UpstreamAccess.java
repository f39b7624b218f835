package io.terok.gate.ssh;

import io.terok.common.ServiceException;
import io.terok.gate.Names;
import io.terok.gate.https.CredentialSource;
import io.terok.gate.https.HttpsAccess;
import io.terok.gate.https.UpstreamTls;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.Transport;

/**
 * How the gate reaches a project's upstream for one operation (sync or forward). file://: JGit directly. http(s)://:
 * JGit's HTTP transport with the gate's trust and, when the upstream answers 401, the vault's credential for that host
 * ({@link HttpsAccess}). ssh: JGit over the real {@code ssh} ({@link OpenSshSessions}) with a fresh agent from the vault
 * that serves only the project's keys, and the project's pinned host key; the agent is closed when the operation ends.
 */
public final class UpstreamAccess {
    private static final Pattern FINGERPRINT = Pattern.compile("(SHA256:[A-Za-z0-9+/=]+)");
    private final AgentSource agents;
    private final String ssh;
    private final CredentialSource credentials;
    private final UpstreamTls tls;

    /**
     * @param agents the vault's SSH agents (ssh upstreams)
     * @param credentials the vault's git credentials (https upstreams that answer 401)
     * @param tls the certificate authorities trusted for https upstreams
     */
    public UpstreamAccess(AgentSource agents, String ssh, CredentialSource credentials, UpstreamTls tls) {
        this.agents = agents;
        this.ssh = ssh;
        this.credentials = credentials;
        this.tls = tls;
    }

    private static boolean isHttp(String url) {
        return url.regionMatches(true, 0, "https://", 0, 8) || url.regionMatches(true, 0, "http://", 0, 7);
    }

    /** One operation's access to the upstream. */
    public interface Session extends AutoCloseable {
        /** For JGit's fetch/push (wires the ssh or http transport; nothing for file://). */
        TransportConfigCallback callback();

        /** The error to report when {@code action} ("fetch from", "push to") failed with {@code e}. */
        ServiceException failure(String action, Exception e);

        @Override
        void close();
    }

    /**
     * @param knownHosts the project's pinned host keys (written by ssh on first use)
     * @param purpose "sync" or "forward" (the vault audits it)
     */
    public Session open(String project, String url, Path knownHosts, String purpose) {
        if (isHttp(url)) {
            return HttpsAccess.open(credentials, tls, project, url, purpose);
        }
        if (!Names.isSsh(url)) {
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
        AgentSource.Lease lease = agents.open(project, purpose);
        OpenSshSessions sessions = new OpenSshSessions(ssh, lease.socket(), knownHosts);
        return new Session() {
            @Override
            public TransportConfigCallback callback() {
                return (Transport t) -> {
                    if (!(t instanceof SshTransport st)) {
                        throw new IllegalStateException("expected an ssh transport for " + url);
                    }
                    st.setSshSessionFactory(sessions);
                };
            }

            @Override
            public ServiceException failure(String action, Exception e) {
                return explain(project, url, knownHosts, action, sessions.stderr(), e);
            }

            @Override
            public void close() {
                lease.close();
            }
        };
    }

    static ServiceException explain(String project, String url, Path knownHosts, String action, String stderr, Exception e) {
        String err = stderr.strip();
        if (err.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || err.contains("Host key verification failed")
                || err.contains("has changed and you have requested strict checking")) {
            Matcher m = FINGERPRINT.matcher(err);
            String offered = m.find() ? " (it now presents " + m.group(1) + ")" : "";
            return ServiceException.precondition("refusing to " + action + " the upstream of project " + project + ": the SSH host key of "
                    + host(url) + " is not the one pinned in " + knownHosts + offered + ". This is either an attack or a"
                    + " re-installed server. Check the server's key out of band (ask its administrator), then run `terok gate"
                    + " trust-host " + project + "` to drop the old pin; the next sync pins the key the server presents then."
                    + " Nothing was fetched or pushed.");
        }
        if (err.contains("Permission denied")) {
            return ServiceException.precondition("cannot " + action + " the upstream of project " + project + ": " + host(url)
                    + " refused the project's SSH key(s). Add the public key (`terok ssh list " + project + "`) to the upstream"
                    + " (a deploy key; with write access for forward)");
        }
        String detail = err.isEmpty() ? e.getMessage() : e.getMessage() + "; ssh: " + lastLines(err);
        return ServiceException.precondition("cannot " + action + " upstream " + url + " (project " + project + "): " + detail);
    }

    private static String lastLines(String s) {
        String[] lines = s.lines().filter(l -> !l.isBlank()).toArray(String[]::new);
        int from = Math.max(0, lines.length - 3);
        return String.join(" / ", java.util.Arrays.copyOfRange(lines, from, lines.length));
    }

    private static String host(String url) {
        try {
            org.eclipse.jgit.transport.URIish u = new org.eclipse.jgit.transport.URIish(url);
            return u.getPort() > 0 ? "[" + u.getHost() + "]:" + u.getPort() : u.getHost();
        } catch (java.net.URISyntaxException e) {
            return url;
        }
    }
}
