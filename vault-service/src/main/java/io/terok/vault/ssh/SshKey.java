package io.terok.vault.ssh;

import io.terok.common.ServiceException;
import java.math.BigInteger;
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
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * An SSH key pair held by the vault: ed25519 or RSA (at least {@value #MIN_RSA_BITS} bits). Generation and signing
 * are the JDK's (Ed25519, SHA256withRSA, SHA512withRSA); this class only moves keys between the JDK's types and the
 * OpenSSH encodings: the public key blob (RFC 4253 §6.6, RFC 8709), the {@code authorized_keys} line and the
 * unencrypted {@code openssh-key-v1} private key file (OpenSSH's PROTOCOL.key).
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
    private static final byte[] MAGIC = "openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    public enum Type {
        ED25519("ssh-ed25519", "ed25519"), RSA("ssh-rsa", "rsa");

        public final String wireName;
        /** The name stored in the database ({@code ssh_keys.key_type}). */
        public final String dbName;

        Type(String wireName, String dbName) {
            this.wireName = wireName;
            this.dbName = dbName;
        }

        public static Type ofDb(String name) {
            for (Type t : values()) {
                if (t.dbName.equals(name)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown key type " + name);
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
    private final byte[] publicBlob;
    private final String comment;

    private SshKey(Type type, PublicKey publicKey, PrivateKey privateKey, byte[] publicBlob, String comment) {
        this.type = type;
        this.publicKey = publicKey;
        this.privateKey = privateKey;
        this.publicBlob = publicBlob;
        this.comment = comment == null ? "" : comment;
    }

    // ------------------------------------------------------------------------------------------------ generation

    public static SshKey generate(Type type, int bits, String comment) {
        try {
            if (type == Type.ED25519) {
                KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
                byte[] seed = ((EdECPrivateKey) kp.getPrivate()).getBytes().orElseThrow();
                byte[] pub = encodeEd25519(((EdECPublicKey) kp.getPublic()).getPoint());
                return ed25519(seed, pub, comment);
            }
            checkRsaBits("bits", bits);
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), RANDOM);
            RSAPrivateCrtKey k = (RSAPrivateCrtKey) g.generateKeyPair().getPrivate();
            return rsa(k.getModulus(), k.getPublicExponent(), k.getPrivateExponent(), k.getCrtCoefficient(), k.getPrimeP(),
                    k.getPrimeQ(), comment);
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
            throw ServiceException.invalid(field, "" + bits + " bits is more than " + MAX_RSA_BITS + "; use " + DEFAULT_RSA_BITS);
        }
    }

    private static SshKey ed25519(byte[] seed, byte[] pub, String comment) throws GeneralSecurityException {
        KeyFactory kf = KeyFactory.getInstance("Ed25519");
        PrivateKey priv = kf.generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
        PublicKey pk = kf.generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519, decodeEd25519(pub)));
        return new SshKey(Type.ED25519, pk, priv, new SshWire.Writer().string(Type.ED25519.wireName).string(pub).bytes(), comment);
    }

    private static SshKey rsa(BigInteger n, BigInteger e, BigInteger d, BigInteger iqmp, BigInteger p, BigInteger q, String comment)
            throws GeneralSecurityException {
        KeyFactory kf = KeyFactory.getInstance("RSA");
        BigInteger one = BigInteger.ONE;
        PrivateKey priv = kf.generatePrivate(new RSAPrivateCrtKeySpec(n, e, d, p, q, d.mod(p.subtract(one)), d.mod(q.subtract(one)), iqmp));
        PublicKey pk = kf.generatePublic(new RSAPublicKeySpec(n, e));
        return new SshKey(Type.RSA, pk, priv, new SshWire.Writer().string(Type.RSA.wireName).mpint(e).mpint(n).bytes(), comment);
    }

    /** RFC 8032 §5.1.2: y little-endian, the top bit of the last byte is x's parity. */
    private static byte[] encodeEd25519(EdECPoint p) {
        byte[] be = p.getY().toByteArray();
        byte[] out = new byte[32];
        for (int i = 0; i < 32 && i < be.length; i++) {
            out[i] = be[be.length - 1 - i];
        }
        if (p.isXOdd()) {
            out[31] |= (byte) 0x80;
        }
        return out;
    }

    private static EdECPoint decodeEd25519(byte[] pub) {
        if (pub.length != 32) {
            throw new SshWire.FormatException("an ed25519 public key has 32 bytes, not " + pub.length);
        }
        byte[] le = pub.clone();
        boolean xOdd = (le[31] & 0x80) != 0;
        le[31] &= 0x7f;
        byte[] be = new byte[33];
        for (int i = 0; i < 32; i++) {
            be[32 - i] = le[i];
        }
        return new EdECPoint(xOdd, new BigInteger(be));
    }

    // ------------------------------------------------------------------------------------------------ OpenSSH files

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
        byte[] blob;
        try {
            blob = Base64.getMimeDecoder().decode(t.substring(BEGIN.length(), t.length() - END.length()).strip());
        } catch (IllegalArgumentException e) {
            throw ServiceException.invalid("private_key", "the base64 body is damaged: " + e.getMessage());
        }
        try {
            return parseBlob(blob, verify);
        } catch (SshWire.FormatException e) {
            throw ServiceException.invalid("private_key", "corrupt OpenSSH key (" + e.getMessage() + ")");
        } catch (GeneralSecurityException e) {
            throw ServiceException.invalid("private_key", "the JDK refuses the key material: " + e.getMessage());
        }
    }

    private static SshKey parseBlob(byte[] blob, boolean verify) throws GeneralSecurityException {
        if (blob.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(blob, MAGIC.length), MAGIC)) {
            throw new SshWire.FormatException("no openssh-key-v1 header");
        }
        SshWire.Reader r = new SshWire.Reader(blob, MAGIC.length, blob.length - MAGIC.length);
        String cipher = r.utf8();
        String kdf = r.utf8();
        r.string();
        if (!cipher.equals("none") || !kdf.equals("none")) {
            throw ServiceException.invalid("private_key", "the key is encrypted with a passphrase (" + cipher + "/" + kdf + "); the vault keeps"
                    + " keys inside its own encrypted database, so remove the passphrase from a copy (`ssh-keygen -p -N '' -f COPY`)"
                    + " and import that copy");
        }
        long count = r.u32();
        if (count != 1) {
            throw ServiceException.invalid("private_key", "the file holds " + count + " keys; import one key per file");
        }
        byte[] publicBlob = r.string();
        byte[] secret = r.string();
        r.end();
        SshWire.Reader s = new SshWire.Reader(secret);
        if (s.u32() != s.u32()) {
            throw new SshWire.FormatException("the check words differ");
        }
        String type = s.utf8();
        SshKey key;
        switch (type) {
            case "ssh-ed25519" -> {
                byte[] pub = s.string();
                byte[] both = s.string();
                if (both.length != 64 || !Arrays.equals(Arrays.copyOfRange(both, 32, 64), pub)) {
                    throw new SshWire.FormatException("the ed25519 private part does not hold its public key");
                }
                key = ed25519(Arrays.copyOf(both, 32), pub, null);
            }
            case "ssh-rsa" -> {
                BigInteger n = s.mpint();
                BigInteger e = s.mpint();
                BigInteger d = s.mpint();
                BigInteger iqmp = s.mpint();
                BigInteger p = s.mpint();
                BigInteger q = s.mpint();
                checkRsaBits("private_key", n.bitLength());
                if (!p.multiply(q).equals(n)) {
                    throw new SshWire.FormatException("the RSA primes do not multiply to the modulus");
                }
                key = rsa(n, e, d, iqmp, p, q, null);
            }
            default -> throw ServiceException.invalid("private_key", "key type " + type + " is not supported; use ed25519 or RSA"
                    + " (at least " + MIN_RSA_BITS + " bits)");
        }
        String comment = s.utf8();
        for (int i = 1; s.remaining() > 0; i++) {
            if (s.u8() != (i & 0xff)) {
                throw new SshWire.FormatException("bad padding");
            }
        }
        if (!Arrays.equals(publicBlob, key.publicBlob)) {
            throw ServiceException.invalid("private_key", "the public key in the file does not belong to its private key");
        }
        key = key.withComment(comment);
        if (verify) {
            key.selfTest();
        }
        return key;
    }

    /** Signs and verifies a random challenge: a key whose halves do not match never enters the vault. */
    private void selfTest() {
        byte[] challenge = new byte[32];
        RANDOM.nextBytes(challenge);
        try {
            Signature v = Signature.getInstance(type == Type.ED25519 ? "Ed25519" : "SHA256withRSA");
            v.initVerify(publicKey);
            v.update(challenge);
            if (!v.verify(rawSignature(type == Type.ED25519 ? "Ed25519" : "SHA256withRSA", challenge))) {
                throw ServiceException.invalid("private_key", "the private key does not match its public key");
            }
        } catch (GeneralSecurityException e) {
            throw ServiceException.invalid("private_key", "the key does not sign: " + e.getMessage());
        }
    }

    /** The key as an unencrypted OpenSSH private key file, as {@code ssh-keygen -N ''} writes it. */
    public String toOpenSsh() {
        SshWire.Writer s = new SshWire.Writer();
        int check = RANDOM.nextInt();
        s.u32(check & 0xffffffffL).u32(check & 0xffffffffL).string(type.wireName);
        if (type == Type.ED25519) {
            byte[] pub = Arrays.copyOfRange(publicBlob, publicBlob.length - 32, publicBlob.length);
            byte[] seed = ((EdECPrivateKey) privateKey).getBytes().orElseThrow();
            byte[] both = new byte[64];
            System.arraycopy(seed, 0, both, 0, 32);
            System.arraycopy(pub, 0, both, 32, 32);
            s.string(pub).string(both);
            Arrays.fill(seed, (byte) 0);
        } else {
            RSAPrivateCrtKey k = (RSAPrivateCrtKey) privateKey;
            s.mpint(k.getModulus()).mpint(k.getPublicExponent()).mpint(k.getPrivateExponent()).mpint(k.getCrtCoefficient())
                    .mpint(k.getPrimeP()).mpint(k.getPrimeQ());
        }
        s.string(comment);
        for (int i = 1; s.size() % 8 != 0; i++) {
            s.u8(i);
        }
        byte[] blob = new SshWire.Writer().raw(MAGIC).string("none").string("none").string(new byte[0]).u32(1)
                .string(publicBlob).string(s.bytes()).bytes();
        String b64 = Base64.getEncoder().encodeToString(blob);
        StringBuilder out = new StringBuilder(BEGIN).append('\n');
        for (int i = 0; i < b64.length(); i += 70) {
            out.append(b64, i, Math.min(b64.length(), i + 70)).append('\n');
        }
        return out.append(END).append('\n').toString();
    }

    /** Reads back what {@link #toOpenSsh()} wrote (the vault's own storage format; checked when it went in). */
    public static SshKey fromStored(byte[] privateKeyFile) {
        return parseOpenSsh(new String(privateKeyFile, StandardCharsets.UTF_8), false);
    }

    // ------------------------------------------------------------------------------------------------ signing

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

    // ------------------------------------------------------------------------------------------------ views

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
        return new SshKey(type, publicKey, privateKey, publicBlob, c);
    }

    public int bits() {
        return type == Type.ED25519 ? 256 : ((java.security.interfaces.RSAPublicKey) publicKey).getModulus().bitLength();
    }

    /** The {@code authorized_keys} line: type, base64 blob, comment. */
    public String publicLine() {
        String line = type.wireName + " " + Base64.getEncoder().encodeToString(publicBlob);
        return comment.isEmpty() ? line : line + " " + comment;
    }

    /** OpenSSH's default fingerprint: {@code SHA256:} and the unpadded base64 of the blob's SHA-256. */
    public String fingerprint() {
        return fingerprint(publicBlob);
    }

    public static String fingerprint(byte[] publicBlob) {
        try {
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(publicBlob));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return type.dbName.toUpperCase(Locale.ROOT) + " " + fingerprint() + (comment.isEmpty() ? "" : " " + comment);
    }
}
