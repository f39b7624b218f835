package io.terok.agents.image;

import io.terok.common.Printable;
import io.terok.common.ServiceException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The fields of an {@code /etc/os-release} file (os-release(5): shell-style {@code KEY=value} lines, values
 * optionally quoted) and the {@link Family} they imply. Parsed as data, never sourced by a shell.
 */
public record OsRelease(Map<String, String> fields) {
    private static final List<String> DEB_IDS = List.of("debian", "ubuntu");
    private static final List<String> RPM_IDS = List.of("fedora", "rhel", "centos", "rocky", "almalinux", "amzn",
            "ol");

    public OsRelease {
        fields = Map.copyOf(fields);
    }

    public static OsRelease parse(String content) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String raw : content.split("\n")) {
            String line = raw.strip();
            int eq = line.indexOf('=');
            if (line.isEmpty() || line.startsWith("#") || eq <= 0) {
                continue;
            }
            String key = line.substring(0, eq);
            if (!key.matches("[A-Z][A-Z0-9_]*")) {
                continue;
            }
            fields.put(key, unquote(line.substring(eq + 1)));
        }
        return new OsRelease(fields);
    }

    public String id() {
        return fields.getOrDefault("ID", "linux").toLowerCase(Locale.ROOT);
    }

    /** ID_LIKE, split: the distributions this one is derived from, closest first. */
    public List<String> idLike() {
        String v = fields.get("ID_LIKE");
        return v == null || v.isBlank() ? List.of() : List.of(v.toLowerCase(Locale.ROOT).strip().split("\\s+"));
    }

    /** The family from ID, then from ID_LIKE; empty when neither names a known distribution. */
    public Optional<Family> family() {
        List<String> ids = new ArrayList<>();
        ids.add(id());
        ids.addAll(idLike());
        for (String id : ids) {
            if (DEB_IDS.contains(id)) {
                return Optional.of(Family.DEB);
            }
            if (RPM_IDS.contains(id)) {
                return Optional.of(Family.RPM);
            }
        }
        return Optional.empty();
    }

    /** The family, or an error that says how to set it by hand. */
    public Family requireFamily(String image) {
        return family().orElseThrow(() -> ServiceException.invalid("image.family", "cannot tell the package family of "
                + Printable.line(image) + " (ID=" + Printable.line(id(), 40) + ", ID_LIKE="
                + Printable.line(String.join(" ", idLike()), 60) + "); set image.family to deb or rpm"));
    }

    /** os-release values: double or single quoted (with backslash escapes in double quotes), or bare. */
    private static String unquote(String v) {
        if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
            boolean dq = v.charAt(0) == '"';
            String inner = v.substring(1, v.length() - 1);
            if (!dq) {
                return inner;
            }
            StringBuilder b = new StringBuilder(inner.length());
            for (int i = 0; i < inner.length(); i++) {
                char c = inner.charAt(i);
                if (c == '\\' && i + 1 < inner.length()) {
                    c = inner.charAt(++i);
                }
                b.append(c);
            }
            return b.toString();
        }
        return v;
    }
}
