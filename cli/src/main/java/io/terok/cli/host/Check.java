package io.terok.cli.host;

/** One doctor finding: {@code  <label> ........ ok|WARN|ERROR (<detail>; <what to do>)}. */
record Check(String label, Severity severity, String detail, String fix) {
    enum Severity { OK, WARN, ERROR }

    static final int LABEL_COLUMN = 36;

    static Check ok(String label, String detail) {
        return new Check(label, Severity.OK, detail, null);
    }

    static Check warn(String label, String detail, String fix) {
        return new Check(label, Severity.WARN, detail, fix);
    }

    static Check error(String label, String detail, String fix) {
        return new Check(label, Severity.ERROR, detail, fix);
    }

    String line() {
        String dots = ".".repeat(Math.max(3, LABEL_COLUMN - label.length() - 1));
        String word = severity == Severity.OK ? "ok" : severity.name();
        StringBuilder sb = new StringBuilder("  ").append(label).append(' ').append(dots).append(' ').append(word);
        if (detail != null || fix != null) {
            sb.append(" (");
            if (detail != null) {
                sb.append(detail);
            }
            if (fix != null) {
                sb.append(detail != null ? "; " : "").append(fix);
            }
            sb.append(')');
        }
        return sb.toString();
    }
}
