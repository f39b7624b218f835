package io.terok.testsupport;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Random lower-case hex: unique names for fixtures, and task ids ({@code of(16)}: 32 digits, as runtime makes them). */
public final class RandomHex {
    private static final SecureRandom RANDOM = new SecureRandom();

    private RandomHex() {
    }

    public static String of(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
