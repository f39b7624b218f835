package io.terok.common;

/**
 * The one sanitiser for text that came from a task (domain names, branch names, commit messages, agent output,
 * a caller's bad value) before it reaches a person: a terminal, a log line, a notification, an error message.
 * Nothing that survives it can move a cursor, forge a line, reorder text (bidi overrides) or start an escape
 * sequence; length is bounded where the caller says so.
 */
public final class Printable {
    /** Past this, {@link #line(String)} cuts: enough for any name or address, short enough for one log line. */
    public static final int DEFAULT_MAX = 200;

    private Printable() {
    }

    /** One line: every control character (C0, DEL, C1), line separator and bidi control becomes '?'. */
    public static String line(String s, int max) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 1);
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            b.append(isUnsafe(c) ? '?' : c);
        }
        if (s.length() > max) {
            b.append('…');
        }
        return b.toString();
    }

    public static String line(String s) {
        return line(s, DEFAULT_MAX);
    }

    /**
     * Several lines shown as they are, each unsafe character shown visibly as its code instead ({@code \x1b} for
     * ESC, a backslash-u code above 0xff), so a reviewer sees that the text tried something rather than having it
     * done to the screen. Keeps newlines and tabs; a carriage return is shown ({@code \x0d}) because it can hide
     * the start of a line.
     */
    public static String lines(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\t' || !isUnsafe(c)) {
                b.append(c);
            } else if (c <= 0xff) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.toString();
    }

    /** For text a receiver may render as markup (desktop notification bodies): {@link #line} plus escaping. */
    public static String markup(String s, int max) {
        return line(s, max).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** True for what a terminal or a text renderer would act on instead of showing. */
    public static boolean isUnsafe(char c) {
        return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029'
                || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
                || c == '\u200e' || c == '\u200f' || c == '\u061c';
    }
}
