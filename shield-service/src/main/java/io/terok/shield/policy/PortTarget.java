package io.terok.shield.policy;

import io.terok.common.Printable;
import io.terok.common.ServiceException;

/**
 * One destination port of one address, as a clearance prompt shows it: what an Allow with a port opens, and nothing
 * else of that address. Built only from a validated single-address {@link Target}, a port and "tcp" or "udp".
 */
public record PortTarget(Target address, String protocol, int port) {

    public PortTarget {
        if (!address.isHost()) {
            throw ServiceException.invalid("target", "'" + address.canonical() + "' must be a single IP address when a port is given");
        }
        if (!protocol.equals("tcp") && !protocol.equals("udp")) {
            throw ServiceException.invalid("protocol", "'" + Printable.line(protocol) + "' is not tcp or udp");
        }
        Targets.port("port", port);
    }

    /** {@code address}, {@code protocol} ("" means tcp) and {@code port} as a request gives them. */
    public static PortTarget of(Target address, String protocol, int port) {
        return new PortTarget(address, protocol == null || protocol.isEmpty() ? "tcp" : protocol, port);
    }

    /** The stored and shown form: {@code 198.51.100.7:443/tcp}, {@code [2001:db8::1]:443/tcp}. */
    public String canonical() {
        String a = address.kind() == Target.Kind.V6 ? "[" + address.canonical() + "]" : address.canonical();
        return a + ":" + port + "/" + protocol;
    }

    /** The nft set element ({@code address . proto . port}). */
    String element() {
        return address.canonical() + " . " + protocol + " . " + port;
    }

    /** Parses {@link #canonical()} back (policy.json). */
    public static PortTarget parse(String field, String s) {
        int slash = s.lastIndexOf('/');
        int colon = slash < 0 ? -1 : s.lastIndexOf(':', slash);
        if (slash < 0 || colon < 0 || !s.substring(colon + 1, slash).matches("\\d{1,5}")) {
            throw ServiceException.invalid(field, "'" + Printable.line(s) + "' is not ADDRESS:PORT/PROTOCOL");
        }
        String a = s.substring(0, colon);
        if (a.startsWith("[") && a.endsWith("]")) {
            a = a.substring(1, a.length() - 1);
        }
        return new PortTarget(Targets.address(field, a), s.substring(slash + 1), Integer.parseInt(s.substring(colon + 1, slash)));
    }

    @Override
    public String toString() {
        return canonical();
    }
}
