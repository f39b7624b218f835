package io.terok.clearance.domain;

/**
 * Text that came from a container (domain names, task names) before it reaches a notification or a
 * terminal: no control characters or escape sequences, no markup, bounded length.
 */
public final class Sanitizer {
    private Sanitizer() {
    }

    /** Printable characters only; everything else becomes '?'. */
    public static String plain(String s, int max) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029'
                    || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
            b.append(control ? '?' : c);
        }
        if (s.length() > max) {
            b.append('…');
        }
        return b.toString();
    }

    /** For notification bodies, which servers may render as markup. */
    public static String markup(String s, int max) {
        return plain(s, max).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
