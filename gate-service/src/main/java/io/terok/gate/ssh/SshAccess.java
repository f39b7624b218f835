package io.terok.gate.ssh;

import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.gate.upstream.UpstreamAccess;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.Transport;

/**
 * An ssh upstream: JGit over the real {@code ssh} ({@link OpenSshSessions}) with a fresh agent from the vault that
 * serves only the project's keys, and the project's pinned host key; the agent is closed when the operation ends.
 */
public final class SshAccess implements UpstreamAccess {
    private static final Pattern FINGERPRINT = Pattern.compile("(SHA256:[A-Za-z0-9+/=]+)");
    private final AgentSource agents;
    private final String ssh;

    /**
     * @param agents the vault's SSH agents
     * @param ssh the OpenSSH client to run
     */
    public SshAccess(AgentSource agents, String ssh) {
        this.agents = agents;
        this.ssh = ssh;
    }

    @Override
    public Session open(String project, String url, Path knownHosts, String purpose) {
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
        // What the server printed is its text, not ours: shown, but unable to forge or hide a line.
        String detail = err.isEmpty() ? e.getMessage() : e.getMessage() + "; ssh: " + Printable.line(lastLines(err), 1000);
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
