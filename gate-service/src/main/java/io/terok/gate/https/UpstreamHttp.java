package io.terok.gate.https;

import java.io.IOException;
import java.net.Proxy;
import java.net.URL;
import java.security.GeneralSecurityException;
import java.util.Locale;
import org.eclipse.jgit.transport.http.HttpConnection;
import org.eclipse.jgit.transport.http.HttpConnectionFactory2;
import org.eclipse.jgit.transport.http.JDKHttpConnection;

/**
 * JGit's HTTP connections for one operation on a project's upstream ({@code TransportHttp.setHttpConnectionFactory}):
 * the JDK's {@code HttpURLConnection} with
 * <ul>
 * <li>the upstream trust of {@link UpstreamTls}, with certificate and host name checks always on: JGit would turn them
 * off for {@code http.sslVerify=false} in a git config or after asking its credentials provider; here
 * {@link #newSession()} ignores that flag;</li>
 * <li>an {@code Authorization} header only towards the upstream's own origin (https, same host, same port). JGit
 * drops its credentials on a redirect to another host, but not to another port of the same host; this is the second
 * lock, and it holds for any request JGit makes.</li>
 * </ul>
 */
public final class UpstreamHttp implements HttpConnectionFactory2 {
    private final UpstreamTls tls;
    private final String origin;

    /** @param origin the only origin that may get credentials ({@link #origin(String, String, int)}), null for none */
    public UpstreamHttp(UpstreamTls tls, String origin) {
        this.tls = tls;
        this.origin = origin;
    }

    /** {@code scheme://host:port}, lower case, with the scheme's default port. */
    public static String origin(String scheme, String host, int port) {
        String s = scheme == null ? "" : scheme.toLowerCase(Locale.ROOT);
        int p = port > 0 ? port : s.equals("https") ? 443 : s.equals("http") ? 80 : -1;
        return s + "://" + (host == null ? "" : host.toLowerCase(Locale.ROOT)) + ":" + p;
    }

    static String origin(URL url) {
        return origin(url.getProtocol(), url.getHost(), url.getPort());
    }

    @Override
    public HttpConnection create(URL url) throws IOException {
        return create(url, null);
    }

    @Override
    public HttpConnection create(URL url, Proxy proxy) throws IOException {
        boolean mayAuthorize = origin != null && origin.startsWith("https://") && origin.equals(origin(url));
        return new Guarded(url, proxy, mayAuthorize);
    }

    @Override
    public GitSession newSession() {
        return new GitSession() {
            @Override
            public HttpConnection configure(HttpConnection connection, boolean sslVerify) throws IOException, GeneralSecurityException {
                // sslVerify is deliberately ignored: verification stays on.
                if (tls.managers() != null && "https".equals(connection.getURL().getProtocol())) {
                    connection.configure(null, tls.managers(), null);
                }
                return connection;
            }

            @Override
            public void close() {
            }
        };
    }

    /** Drops credentials headed anywhere but the upstream's origin. */
    private static final class Guarded extends JDKHttpConnection {
        private final boolean mayAuthorize;

        Guarded(URL url, Proxy proxy, boolean mayAuthorize) throws IOException {
            super(url, proxy == null ? Proxy.NO_PROXY : proxy);
            this.mayAuthorize = mayAuthorize;
        }

        @Override
        public void setRequestProperty(String key, String value) {
            if (!mayAuthorize && (key.equalsIgnoreCase("Authorization") || key.equalsIgnoreCase("Proxy-Authorization"))) {
                return;
            }
            super.setRequestProperty(key, value);
        }
    }
}
