package io.terok.gate.https;

import io.terok.common.ServiceException;
import java.util.Locale;
import org.eclipse.jgit.errors.UnsupportedCredentialItem;
import org.eclipse.jgit.transport.CredentialItem;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.URIish;

/**
 * JGit's credentials for one operation (a sync's two fetches, or a forward's push) on a project's https upstream.
 * JGit asks only when the upstream answers 401; the first time, this asks the {@link CredentialSource} (the vault),
 * for the upstream's URL, and keeps the answer until {@link #close()} ends the operation (a sync's second fetch uses
 * it again). {@link #forTransport()} gives each JGit transport its own provider, so that one transport asking twice
 * means the upstream rejected the credential. Nothing is answered (and the reason is kept for {@link #refusal()}) when
 * the URL JGit asks for is not https or not the upstream's origin (a redirect elsewhere), or when the source refuses;
 * JGit's other questions (such as "trust this certificate?") are never answered.
 */
final class VaultCredentials implements AutoCloseable {
    private final CredentialSource source;
    private final String project;
    private final String url;
    private final String origin;
    private final String purpose;
    private CredentialSource.Credential credential;
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

    /** A provider for one JGit transport of this operation. */
    CredentialsProvider forTransport() {
        return new CredentialsProvider() {
            private boolean answered;

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
            public boolean get(URIish uri, CredentialItem... items) throws UnsupportedCredentialItem {
                if (!supports(items)) {
                    return false;
                }
                if (!allowed(uri)) {
                    return false;
                }
                if (answered) {
                    markRejected();
                    return false;
                }
                CredentialSource.Credential c = credential();
                if (c == null) {
                    return false;
                }
                answered = true;
                for (CredentialItem i : items) {
                    if (i instanceof CredentialItem.Username u) {
                        u.setValue(c.username());
                    } else if (i instanceof CredentialItem.Password p) {
                        p.setValue(c.password());
                    }
                }
                return true;
            }
        };
    }

    private synchronized void markRejected() {
        rejected = true;
    }

    /** Whether {@code uri} may get the credential (https, the upstream's origin); records why not. */
    private synchronized boolean allowed(URIish uri) {
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
        return true;
    }

    private synchronized CredentialSource.Credential credential() {
        if (credential == null && refusal == null) {
            try {
                credential = source.get(project, url, purpose);
                provider = credential.provider();
            } catch (ServiceException e) {
                refusal = e.getMessage();
            }
        }
        return credential;
    }

    /** Why no credential was given (a sentence naming the fix), or null. */
    synchronized String refusal() {
        return refusal;
    }

    /** The provider whose credential was sent, or null. */
    synchronized String provider() {
        return provider;
    }

    /** Whether a transport asked again after getting the credential (the upstream rejected it). */
    synchronized boolean rejected() {
        return rejected;
    }

    /** Ends the operation: the credential is wiped and forgotten. */
    @Override
    public synchronized void close() {
        if (credential != null) {
            credential.clear();
            credential = null;
        }
    }
}
