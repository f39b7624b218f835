package io.terok.vault.git;

import io.terok.common.Ids;
import io.terok.common.ServiceException;
import io.terok.vault.Vault;
import io.terok.vault.broker.AuditLog;
import io.terok.vault.ssh.GateAgents;
import io.terok.vault.ssh.SshKeyStore;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The credential for one fetch or push of a project's https upstream, for gate-service only. The gate asks when the
 * upstream answers 401 and uses it for that one operation; the vault gives it only for an https URL whose host and
 * port are a git host of a provider ({@link GitHosts}), from that provider's stored credential (set
 * {@code default}). Every request, given or refused, is one audit line with task {@code gate:<project>}, method
 * {@code CREDENTIAL}, path {@code <purpose> <host><path>}, never the secret.
 */
public final class GitCredentials {
    private static final Logger LOG = Logger.getLogger(GitCredentials.class);

    /** What the gate sends as HTTP Basic to {@code host}. */
    public record Issued(String provider, String host, String username, String password) {
        @Override
        public String toString() {
            return "Issued[provider=" + provider + ", host=" + host + ", username=" + username + "]";
        }
    }

    private final Vault vault;
    private final GitHosts hosts;
    private final AuditLog audit;
    private final Clock clock;

    public GitCredentials(Vault vault, GitHosts hosts, AuditLog audit, Clock clock) {
        this.vault = vault;
        this.hosts = hosts;
        this.audit = audit;
        this.clock = clock;
    }

    public GitHosts hosts() {
        return hosts;
    }

    public Issued issue(String project, String url, String purpose) {
        Ids.project("project", project);
        String why = purpose == null || purpose.isEmpty() ? "gate" : purpose;
        if (why.length() > 32 || !why.matches("[a-z0-9_-]+")) {
            throw ServiceException.invalid("purpose", "at most 32 characters of [a-z0-9_-]");
        }
        URI u = https(url);
        String where = u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "");
        String auditPath = why + " " + where + (u.getRawPath() == null ? "" : u.getRawPath());
        Optional<GitHosts.Entry> entry = hosts.match(u);
        String provider = entry.map(GitHosts.Entry::provider).orElse("git");
        if (!vault.unlocked()) {
            record(project, provider, auditPath, "vault_locked");
            throw ServiceException.precondition("the vault is locked, so the gate cannot use a credential for " + where
                    + " (project " + project + "): run `terok vault unlock`");
        }
        if (entry.isEmpty()) {
            record(project, provider, auditPath, "no_route");
            throw ServiceException.precondition("no vault provider holds a credential for git host " + where + " (the upstream of project "
                    + project + "): for github.com or gitlab.com store the token with `terok vault add github` or `terok vault add"
                    + " gitlab`; for another host list it in `terok.vault.providers.NAME.git-hosts` (with `git-user`) in"
                    + " config.yaml, restart the vault, then `terok vault add NAME`");
        }
        Optional<Vault.Credential> c = vault.credential(Vault.DEFAULT_SET, provider);
        if (c.isEmpty() || c.get().secret() == null || c.get().secret().isEmpty()) {
            record(project, provider, auditPath, "credential_missing");
            throw ServiceException.precondition("no credential for provider " + provider + " (git host " + where + ", project " + project
                    + "): store its token with `terok vault add " + provider + "`");
        }
        Vault.Credential cred = c.get();
        if (cred.oauth() && cred.expiresAt() != null && cred.expiresAt() <= clock.millis()) {
            record(project, provider, auditPath, "oauth_expired");
            throw ServiceException.precondition("the OAuth access token of provider " + provider + " expired at "
                    + Instant.ofEpochMilli(cred.expiresAt()) + " (git host " + where + ", project " + project
                    + "): store a fresh one with `terok vault add " + provider + "`");
        }
        record(project, provider, auditPath, "ok");
        LOG.infof("git credential of provider %s given to the gate for %s (project %s, %s)", provider, where, project, why);
        return new Issued(provider, entry.get().authority(), entry.get().user(), cred.secret());
    }

    private static URI https(String url) {
        URI u;
        try {
            u = url == null ? null : new URI(url);
        } catch (java.net.URISyntaxException e) {
            u = null;
        }
        if (u == null || u.getScheme() == null || !u.getScheme().toLowerCase(Locale.ROOT).equals("https") || u.getHost() == null) {
            throw ServiceException.invalid("url", "the vault gives git credentials only for https://host/... URLs (a credential never"
                    + " travels unencrypted)");
        }
        if (u.getRawUserInfo() != null) {
            throw ServiceException.invalid("url", "must not carry user info");
        }
        return u;
    }

    private void record(String project, String provider, String path, String outcome) {
        audit.record(new AuditLog.Entry(clock.instant(), GateAgents.AUDIT_PREFIX + project, "", provider, "CREDENTIAL", path, 0,
                outcome, 0));
    }
}
