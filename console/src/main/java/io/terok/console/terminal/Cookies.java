package io.terok.console.terminal;

/** One cookie's value out of a Cookie header (null when absent). */
final class Cookies {
    private Cookies() {
    }

    static String value(String header, String name) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            String p = part.strip();
            if (p.startsWith(name + "=")) {
                return p.substring(name.length() + 1);
            }
        }
        return null;
    }
}
