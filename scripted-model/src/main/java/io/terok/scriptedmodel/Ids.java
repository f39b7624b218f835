package io.terok.scriptedmodel;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Random identifiers in the vendors' styles (msg_…, toolu_…, call_…, resp_…). */
final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    static String next(String prefix) {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }
}
