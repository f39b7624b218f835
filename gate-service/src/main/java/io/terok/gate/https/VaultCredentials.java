package io.terok.gate.https;

import io.terok.gate.GateException;
import java.util.Locale;
import org.eclipse.jgit.errors.UnsupportedCredentialItem;
import org.eclipse.jgit.transport.CredentialItem;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.URIish;

/**
 * JGit's credentials provider for one operation on a project's https upstream. JGit asks only when the upstream
 * answers 401; then this asks the {@link CredentialSource} (the vault) once, for the upstream's URL, and hands JGit
 * user and password for that request. It answers nothing (and records why, for {@link #refusal()}) when the URL JGit
 * asks for is not https or not the upstream's origin (a redirect elsewhere), when the source refuses, and when JGit
 * asks a second time (the upstream rejected what it got). It never answers JGit's other questions (such as "trust
 * this certificate?"). The password is copied into JGit's item and wiped here at once.
 */
final class VaultCredentials extends CredentialsProvider {
    private final CredentialSource source;
    private final String project;
    private final String url;
    private final String origin;
    private final String purpose;
    private String refusal;
    private String provider;
    private boolean rejected;

    VaultCredentials(CredentialSource source, String project, String url, String origin, String purpose) {
        this.source = source;
        this.project = project;
        this.url = url;
        this.origin = origin;
        this.purpose = purpose;
    }

    @Override
    public boolean isInteractive() {
        return false;
    }

    @Override
    public boolean supports(CredentialItem... items) {
        for (CredentialItem i : items) {
            if (!(i instanceof CredentialItem.Username) && !(i instanceof CredentialItem.Password)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public synchronized boolean get(URIish uri, CredentialItem... items) throws UnsupportedCredentialItem {
        if (!supports(items)) {
            return false;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https")) {
            refusal = "terok sends credentials only over https (change the upstream to https://" + uri.getHost() + "/...)";
            return false;
        }
        String asked = UpstreamHttp.origin(scheme, uri.getHost(), uri.getPort());
        if (!asked.equals(origin)) {
            refusal = "it redirected to " + asked + ", and the credential goes only to " + origin;
            return false;
        }
        if (provider != null) {
            rejected = true;
            return false;
        }
        CredentialSource.Credential c;
        try {
            c = source.get(project, url, purpose);
        } catch (GateException e) {
            refusal = e.getMessage();
            return false;
        }
        try {
            provider = c.provider();
            for (CredentialItem i : items) {
                if (i instanceof CredentialItem.Username u) {
                    u.setValue(c.username());
                } else if (i instanceof CredentialItem.Password p) {
                    p.setValue(c.password());
                }
            }
            return true;
        } finally {
            c.clear();
        }
    }

    /** Why no credential was given (a sentence naming the fix), or null. */
    synchronized String refusal() {
        return refusal;
    }

    /** The provider whose credential was sent, or null. */
    synchronized String provider() {
        return provider;
    }

    /** Whether the upstream asked again after getting the credential (it rejected it). */
    synchronized boolean rejected() {
        return rejected;
    }
}
