package io.terok.vault;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Real task ids (32 lower-case hex digits) for tests, one per readable label, the same each time. */
public final class TaskIds {
    private TaskIds() {
    }

    public static String of(String label) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(label.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
