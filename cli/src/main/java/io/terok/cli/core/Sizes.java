package io.terok.cli.core;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Memory sizes as podman writes them: 512m, 2g, 1.5G, 64MiB, 1048576 (bytes); units are powers of 1024. */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)(?:([kmgt])(?:i?b)?|b)?");

    private Sizes() {
    }

    public static long parseBytes(String option, String value) {
        Matcher m = SIZE.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw CliException.badValue(option, value, "expected a size such as 512m or 2g; units b, k, m, g, t");
        }
        int shift = m.group(2) == null ? 0 : 10 * (1 + "kmgt".indexOf(m.group(2)));
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
        if (bytes.compareTo(BigDecimal.ONE) < 0) {
            throw CliException.badValue(option, value, "must be at least 1 byte");
        }
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw CliException.badValue(option, value, "too large");
        }
        return bytes.longValue();
    }
}
