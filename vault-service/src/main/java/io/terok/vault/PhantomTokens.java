package io.terok.vault;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Phantom token values: {@code terok-p-} + 256 random bits in hex; stored only as their SHA-256. */
public final class PhantomTokens {
    public static final String PREFIX = "terok-p-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private PhantomTokens() {
    }

    public static String newToken() {
        return PREFIX + randomHex(32);
    }

    public static String newId() {
        return "vt-" + randomHex(8);
    }

    public static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    public static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Constant-time comparison of two hex digests. */
    public static boolean sameHash(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }
}
