package io.terok.gate.https;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Which certificate authorities the gate trusts for https upstreams: the JDK's, plus those of
 * {@code terok.gate.upstream-ca-file} (PEM) when set, for a git server with a private CA. Verification (chain and
 * host name) is never turned off, whatever a git config says.
 */
public final class UpstreamTls {
    private final TrustManager[] managers;
    private final Path caFile;

    private UpstreamTls(TrustManager[] managers, Path caFile) {
        this.managers = managers;
        this.caFile = caFile;
    }

    /** The JDK's trust only. */
    public static UpstreamTls jdk() {
        return new UpstreamTls(null, null);
    }

    /**
     * The JDK's authorities and the certificates in {@code caFile}.
     *
     * @throws IllegalArgumentException naming the file and the key when it is missing or holds no certificate
     */
    public static UpstreamTls withCaFile(Path caFile) {
        Collection<? extends java.security.cert.Certificate> certs;
        try (InputStream in = Files.newInputStream(caFile)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException("terok.gate.upstream-ca-file: cannot read certificates from " + caFile + ": " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("terok.gate.upstream-ca-file: " + caFile + " holds no PEM certificate");
        }
        try {
            X509TrustManager jdk = x509(null);
            KeyStore extra = KeyStore.getInstance(KeyStore.getDefaultType());
            extra.load(null, null);
            int i = 0;
            for (java.security.cert.Certificate c : certs) {
                extra.setCertificateEntry("terok-upstream-ca-" + i++, c);
            }
            X509TrustManager own = x509(extra);
            return new UpstreamTls(new TrustManager[] {new Either(jdk, own)}, caFile);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the upstream trust store: " + e.getMessage(), e);
        }
    }

    /** Null: the JDK's defaults apply. */
    TrustManager[] managers() {
        return managers;
    }

    public String describe() {
        return caFile == null ? "the JDK's certificate authorities" : "the JDK's certificate authorities and " + caFile;
    }

    private static X509TrustManager x509(KeyStore ks) throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(ks);
        for (TrustManager m : f.getTrustManagers()) {
            if (m instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509TrustManager");
    }

    /** Trusts a server chain that either trust manager accepts. */
    private record Either(X509TrustManager first, X509TrustManager second) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the gate never serves TLS clients here");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                first.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                second.checkServerTrusted(chain, authType);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            List<X509Certificate> all = new ArrayList<>(List.of(first.getAcceptedIssuers()));
            all.addAll(List.of(second.getAcceptedIssuers()));
            return all.toArray(X509Certificate[]::new);
        }
    }
}
