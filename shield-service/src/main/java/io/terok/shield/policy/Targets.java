package io.terok.shield.policy;

import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The validation boundary: every address, network, domain, port, container and profile name is checked here before
 * it can appear in nft or dnsmasq text (task ids are {@link io.terok.common.Ids}' rule). nft resolves any word it
 * does not parse as an address as a host name, and a stray {@code ;} or newline would start a new nft command, so
 * only canonical forms produced here are ever written. Nothing here resolves names.
 */
public final class Targets {
    private static final Pattern V4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern V6_CHARS = Pattern.compile("[0-9a-fA-F:.]{2,45}");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern TLD = Pattern.compile("[a-z]([a-z0-9-]{0,61}[a-z0-9])?");
    /** A podman container name, as the task's launcher chose it. */
    public static final Pattern CONTAINER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    /** A profile name: also a file name under the operator's profile directory. */
    public static final Pattern PROFILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private Targets() {
    }

    /** An IP, CIDR or domain; {@code field} names the request field in the error. */
    public static Target parse(String field, String raw) {
        if (raw == null || raw.isBlank()) {
            throw ServiceException.invalid(field, "must not be empty");
        }
        String s = raw.trim();
        if (s.length() > 253 || !s.equals(raw.strip()) || s.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw ServiceException.invalid(field, "'" + Printable.line(raw) + "' is not an IP address, CIDR or domain name");
        }
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = literal(addr);
        if (bytes != null) {
            int bits = bytes.length * 8;
            int prefix = bits;
            if (slash >= 0) {
                String p = s.substring(slash + 1);
                if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > bits) {
                    throw ServiceException.invalid(field, "'" + Printable.line(raw) + "' has an invalid prefix length (0-" + bits + ")");
                }
                prefix = Integer.parseInt(p);
            }
            return Target.network(bytes, prefix);
        }
        if (slash >= 0 || addr.contains(":") || addr.matches("[0-9.]+")) {
            throw ServiceException.invalid(field, "'" + Printable.line(raw) + "' is not a valid IP address or CIDR");
        }
        return domain(field, s);
    }

    /** A single address (no prefix), as for the host address or the upstream resolver. */
    public static Target address(String field, String raw) {
        Target t = parse(field, raw);
        if (!t.isHost()) {
            throw ServiceException.invalid(field, "'" + Printable.line(raw) + "' must be a single IP address");
        }
        return t;
    }

    public static Target domain(String field, String raw) {
        String d = raw.toLowerCase(Locale.ROOT);
        if (d.startsWith("*.")) {
            d = d.substring(2);
        }
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        String[] labels = d.split("\\.", -1);
        boolean ok = d.length() <= 253 && labels.length >= 2;
        for (int i = 0; ok && i < labels.length; i++) {
            ok = (i == labels.length - 1 ? TLD : LABEL).matcher(labels[i]).matches();
        }
        if (!ok) {
            throw ServiceException.invalid(field, "'" + Printable.line(raw) + "' is not an IP address, CIDR or domain name");
        }
        return new Target(Target.Kind.DOMAIN, d, new byte[0], 0);
    }

    public static int port(String field, int port) {
        if (port < 1 || port > 65535) {
            throw ServiceException.invalid(field, port + " is not a port (1-65535)");
        }
        return port;
    }

    public static String matching(String field, String value, Pattern p, String what) {
        if (value == null || !p.matcher(value).matches()) {
            throw ServiceException.invalid(field, "'" + Printable.line(value) + "' is not a valid " + what);
        }
        return value;
    }

    /** Drops every network contained in another one of the list (CIDRs nest or are disjoint). */
    public static List<Target> minimal(Collection<Target> targets) {
        List<Target> out = new ArrayList<>();
        for (Target t : targets) {
            if (!t.isAddress() || out.contains(t)) {
                continue;
            }
            boolean covered = targets.stream().anyMatch(o -> o.isAddress() && !o.equals(t) && o.contains(t));
            if (!covered) {
                out.add(t);
            }
        }
        return out;
    }

    static byte[] literal(String s) {
        var m = V4.matcher(s);
        if (m.matches()) {
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                String part = m.group(i + 1);
                int v = Integer.parseInt(part);
                if (v > 255 || (part.length() > 1 && part.startsWith("0"))) {
                    return null;
                }
                b[i] = (byte) v;
            }
            return b;
        }
        if (s.indexOf(':') < 0 || !V6_CHARS.matcher(s).matches()) {
            return null;
        }
        try {
            // Contains ':' and only hex digits, ':' and '.': parsed as an IPv6 literal, never looked up.
            InetAddress a = InetAddress.getByName(s);
            if (a instanceof Inet6Address) {
                return a.getAddress();
            }
            // an IPv4-mapped IPv6 literal comes back as IPv4: keep it as the v6 form
            byte[] v4 = a.getAddress();
            byte[] v6 = new byte[16];
            v6[10] = (byte) 0xff;
            v6[11] = (byte) 0xff;
            System.arraycopy(v4, 0, v6, 12, 4);
            return v6;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    static String compressV6(byte[] b) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            sb.append(Integer.toHexString(g[i]));
            if (i < 7) {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
