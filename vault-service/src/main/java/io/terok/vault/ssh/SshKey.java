package io.terok.vault.ssh;

import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.security.auth.login.FailedLoginException;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.loader.openssh.OpenSSHKeyPairResourceParser;
import org.apache.sshd.common.config.keys.loader.openssh.OpenSSHParserContext;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.session.SessionContext;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * An SSH key pair held by the vault: ed25519 or RSA (at least {@value #MIN_RSA_BITS} bits). Generation and signing
 * are the JDK's (Ed25519, SHA256withRSA, SHA512withRSA). The OpenSSH encodings (the {@code openssh-key-v1} private
 * key file, the public key blob, the {@code authorized_keys} line, the fingerprint) are Apache MINA SSHD's; this class
 * only hands keys between the JDK's types and the library's (for Ed25519 the library uses Bouncy Castle's keys) and
 * turns what it refuses into messages that say what to do.
 */
public final class SshKey {
    public static final int MIN_RSA_BITS = 3072;
    public static final int DEFAULT_RSA_BITS = 4096;
    public static final int MAX_RSA_BITS = 16384;
    /** draft-miller-ssh-agent §4.5.1: the signature flags asking for SHA-2 RSA signatures. */
    public static final int RSA_SHA2_256 = 0x02;
    public static final int RSA_SHA2_512 = 0x04;

    private static final String BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
    private static final String END = "-----END OPENSSH PRIVATE KEY-----";
    private static final NamedResource RESOURCE = NamedResource.ofName("private_key");
    private static final SecureRandom RANDOM = new SecureRandom();

    public enum Type {
        ED25519("ssh-ed25519", "ed25519", "Ed25519", "EdDSA"), RSA("ssh-rsa", "rsa", "RSA", "RSA");

        public final String wireName;
        /** The name stored in the database ({@code ssh_keys.key_type}). */
        public final String dbName;
        /** The JDK's key algorithm (generation, signing) and the one SSHD's key factory takes. */
        private final String jdkAlgorithm;
        private final String libraryAlgorithm;

        Type(String wireName, String dbName, String jdkAlgorithm, String libraryAlgorithm) {
            this.wireName = wireName;
            this.dbName = dbName;
            this.jdkAlgorithm = jdkAlgorithm;
            this.libraryAlgorithm = libraryAlgorithm;
        }

        public static Type ofDb(String name) {
            for (Type t : values()) {
                if (t.dbName.equals(name)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown key type " + name);
        }

        static Type ofWire(String name) {
            for (Type t : values()) {
                if (t.wireName.equals(name)) {
                    return t;
                }
            }
            return null;
        }
    }

    /** A signature request the agent refuses (the reason goes to the audit log). */
    public static final class Refused extends RuntimeException {
        public final String outcome;

        Refused(String outcome, String message) {
            super(message);
            this.outcome = outcome;
        }
    }

    private final Type type;
    private final PublicKey publicKey;
    private final PrivateKey privateKey;
    /** The same pair as SSHD's key types, for its encoders. */
    private final KeyPair libraryPair;
    private final byte[] publicBlob;
    private final String comment;

    private SshKey(Type type, PublicKey publicKey, PrivateKey privateKey, KeyPair libraryPair, byte[] publicBlob, String comment) {
        this.type = type;
        this.publicKey = publicKey;
        this.privateKey = privateKey;
        this.libraryPair = libraryPair;
        this.publicBlob = publicBlob;
        this.comment = comment == null ? "" : comment;
    }

    /** Any pair of {@code type} (the JDK's or the library's classes) as both. */
    private static SshKey of(Type type, PublicKey pub, PrivateKey priv, String comment) throws GeneralSecurityException {
        KeyFactory jdk = KeyFactory.getInstance(type.jdkAlgorithm);
        KeyFactory library = SecurityUtils.getKeyFactory(type.libraryAlgorithm);
        byte[] pubEncoded = pub.getEncoded();
        byte[] privEncoded = priv.getEncoded();
        KeyPair libraryPair = new KeyPair(library.generatePublic(new X509EncodedKeySpec(pubEncoded)),
                library.generatePrivate(new PKCS8EncodedKeySpec(privEncoded)));
        ByteArrayBuffer blob = new ByteArrayBuffer();
        blob.putRawPublicKey(libraryPair.getPublic());
        return new SshKey(type, jdk.generatePublic(new X509EncodedKeySpec(pubEncoded)),
                jdk.generatePrivate(new PKCS8EncodedKeySpec(privEncoded)), libraryPair, blob.getCompactData(), comment);
    }

    public static SshKey generate(Type type, int bits, String comment) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(type.jdkAlgorithm);
            if (type == Type.RSA) {
                checkRsaBits("bits", bits);
                g.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), RANDOM);
            }
            KeyPair kp = g.generateKeyPair();
            return of(type, kp.getPublic(), kp.getPrivate(), comment);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate " + type + " keys: " + e.getMessage(), e);
        }
    }

    static void checkRsaBits(String field, int bits) {
        if (bits < MIN_RSA_BITS) {
            throw ServiceException.invalid(field, "an RSA key of " + bits + " bits is too weak; use at least " + MIN_RSA_BITS
                    + " (default " + DEFAULT_RSA_BITS + ") or an ed25519 key");
        }
        if (bits > MAX_RSA_BITS) {
            throw ServiceException.invalid(field, bits + " bits is more than " + MAX_RSA_BITS + "; use " + DEFAULT_RSA_BITS);
        }
    }

    /**
     * Reads an unencrypted OpenSSH private key ({@code -----BEGIN OPENSSH PRIVATE KEY-----}). Everything else is
     * refused with a message saying what it is and what to do: an encrypted key, an old PEM key, a public key, a
     * key type other than ed25519 and RSA, an RSA key under {@value #MIN_RSA_BITS} bits, halves that do not match.
     */
    public static SshKey parseOpenSsh(String text) {
        return parseOpenSsh(text, true);
    }

    private static SshKey parseOpenSsh(String text, boolean verify) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty()) {
            throw ServiceException.invalid("private_key", "empty; give the text of an OpenSSH private key file");
        }
        if (t.startsWith("ssh-") || t.startsWith("ecdsa-") || t.startsWith("sk-")) {
            throw ServiceException.invalid("private_key", "this is a public key; import the private key file (e.g. ~/.ssh/id_ed25519, not the .pub)");
        }
        if (t.startsWith("-----BEGIN RSA PRIVATE KEY-----") || t.startsWith("-----BEGIN PRIVATE KEY-----")
                || t.startsWith("-----BEGIN EC PRIVATE KEY-----") || t.startsWith("-----BEGIN DSA PRIVATE KEY-----")
                || t.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw ServiceException.invalid("private_key", "a PEM/PKCS key, not the OpenSSH format; convert a copy with"
                    + " `ssh-keygen -p -N '' -f COPY` (rewrites it as an OpenSSH key) and import that");
        }
        if (!t.startsWith(BEGIN) || !t.endsWith(END)) {
            throw ServiceException.invalid("private_key", "not an OpenSSH private key (it must start with " + BEGIN + ")");
        }
        CommentKeeper parser = new CommentKeeper();
        Collection<KeyPair> pairs;
        try {
            pairs = parser.loadKeyPairs(null, RESOURCE, null, t);
        } catch (FailedLoginException e) {
            throw ServiceException.invalid("private_key", "the key is encrypted with a passphrase; the vault keeps"
                    + " keys inside its own encrypted database, so remove the passphrase from a copy (`ssh-keygen -p -N '' -f COPY`)"
                    + " and import that copy");
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw ServiceException.invalid("private_key", "corrupt OpenSSH key (" + e.getMessage() + ")");
        }
        if (pairs.size() != 1) {
            throw ServiceException.invalid("private_key", pairs.isEmpty() ? "the file holds no key (is it encrypted?)"
                    : "the file holds " + pairs.size() + " keys; import one key per file");
        }
        KeyPair kp = pairs.iterator().next();
        String wire = KeyUtils.getKeyType(kp.getPublic());
        Type type = Type.ofWire(wire);
        if (type == null) {
            throw ServiceException.invalid("private_key", "key type " + wire + " is not supported; use ed25519 or RSA"
                    + " (at least " + MIN_RSA_BITS + " bits)");
        }
        if (type == Type.RSA) {
            checkRsaBits("private_key", ((java.security.interfaces.RSAPublicKey) kp.getPublic()).getModulus().bitLength());
        }
        SshKey key;
        try {
            key = of(type, kp.getPublic(), kp.getPrivate(), parser.comments.isEmpty() ? "" : parser.comments.get(0));
        } catch (GeneralSecurityException e) {
            throw ServiceException.invalid("private_key", "the JDK refuses the key material: " + e.getMessage());
        }
        if (verify) {
            key.selfTest();
        }
        return key;
    }

    /** SSHD's parser reads each key's comment and drops it; this one keeps it. */
    private static final class CommentKeeper extends OpenSSHKeyPairResourceParser {
        final List<String> comments = new ArrayList<>();

        @Override
        protected Map.Entry<PrivateKey, String> readPrivateKey(SessionContext session, NamedResource resourceKey,
                                                               OpenSSHParserContext context, String keyType,
                                                               FilePasswordProvider passwordProvider, InputStream stream)
                throws IOException, GeneralSecurityException {
            Map.Entry<PrivateKey, String> entry = super.readPrivateKey(session, resourceKey, context, keyType, passwordProvider, stream);
            comments.add(entry.getValue());
            return entry;
        }
    }

    /** Signs and verifies a random challenge: a key whose halves do not match never enters the vault. */
    private void selfTest() {
        byte[] challenge = new byte[32];
        RANDOM.nextBytes(challenge);
        String alg = type == Type.ED25519 ? "Ed25519" : "SHA256withRSA";
        try {
            Signature v = Signature.getInstance(alg);
            v.initVerify(publicKey);
            v.update(challenge);
            if (!v.verify(rawSignature(alg, challenge))) {
                throw ServiceException.invalid("private_key", "the private key does not match its public key");
            }
        } catch (GeneralSecurityException e) {
            throw ServiceException.invalid("private_key", "the key does not sign: " + e.getMessage());
        }
    }

    /** The key as an unencrypted OpenSSH private key file, as {@code ssh-keygen -N ''} writes it. */
    public String toOpenSsh() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(libraryPair, comment, null, out);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the " + type + " key in the OpenSSH format: " + e.getMessage(), e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Reads back what {@link #toOpenSsh()} wrote (the vault's own storage format; checked when it went in). */
    public static SshKey fromStored(byte[] privateKeyFile) {
        return parseOpenSsh(new String(privateKeyFile, StandardCharsets.UTF_8), false);
    }

    /**
     * Signs {@code data} the way an SSH agent answers a SIGN_REQUEST and returns the signature blob (string
     * algorithm, string signature). RSA needs one of the SHA-2 flags: a plain {@code ssh-rsa} (SHA-1) request is
     * refused.
     */
    public byte[] sign(byte[] data, int flags) {
        String alg;
        String jca;
        if (type == Type.ED25519) {
            alg = "ssh-ed25519";
            jca = "Ed25519";
        } else if ((flags & RSA_SHA2_256) != 0) {
            alg = "rsa-sha2-256";
            jca = "SHA256withRSA";
        } else if ((flags & RSA_SHA2_512) != 0) {
            alg = "rsa-sha2-512";
            jca = "SHA512withRSA";
        } else {
            throw new Refused("refused_sha1", "an ssh-rsa (SHA-1) signature was asked for; only rsa-sha2-256/512 are given");
        }
        try {
            return new SshWire.Writer().string(alg).string(rawSignature(jca, data)).bytes();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing with " + jca + " failed: " + e.getMessage(), e);
        }
    }

    private byte[] rawSignature(String jca, byte[] data) throws GeneralSecurityException {
        Signature sig = Signature.getInstance(jca);
        sig.initSign(privateKey);
        sig.update(data);
        return sig.sign();
    }

    public Type type() {
        return type;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    public byte[] publicBlob() {
        return publicBlob.clone();
    }

    public String comment() {
        return comment;
    }

    public SshKey withComment(String c) {
        return new SshKey(type, publicKey, privateKey, libraryPair, publicBlob, c);
    }

    public int bits() {
        return type == Type.ED25519 ? 256 : ((java.security.interfaces.RSAPublicKey) publicKey).getModulus().bitLength();
    }

    /** The {@code authorized_keys} line: type, base64 blob, comment. */
    public String publicLine() {
        String line = PublicKeyEntry.toString(libraryPair.getPublic());
        return comment.isEmpty() ? line : line + " " + comment;
    }

    /** OpenSSH's default fingerprint: {@code SHA256:} and the unpadded base64 of the blob's SHA-256. */
    public String fingerprint() {
        return KeyUtils.getFingerPrint(libraryPair.getPublic());
    }

    /** The same for a key blob an agent client sent (possibly of a type the vault does not hold). */
    public static String fingerprint(byte[] publicBlob) {
        try {
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(publicBlob));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        // for logs: the comment is the operator's or the imported file's text
        return type.dbName.toUpperCase(Locale.ROOT) + " " + fingerprint() + (comment.isEmpty() ? "" : " " + Printable.line(comment));
    }
}
