package io.terok.shield.policy;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A validated allow/deny target in canonical form: an IPv4 or IPv6 network (a single address is a /32 or /128)
 * or a domain name. Only instances of this class ever reach nft or dnsmasq text.
 */
public record Target(Kind kind, String canonical, byte[] network, int prefix) {
    public enum Kind { V4, V6, DOMAIN }

    public boolean isAddress() {
        return kind != Kind.DOMAIN;
    }

    public boolean isHost() {
        return isAddress() && prefix == network.length * 8;
    }

    /** Whether this network contains {@code other} (same family; a network contains itself). */
    public boolean contains(Target other) {
        if (!isAddress() || other.kind != kind || other.prefix < prefix) {
            return false;
        }
        BigInteger mask = mask(prefix, network.length * 8);
        return new BigInteger(1, network).and(mask).equals(new BigInteger(1, other.network).and(mask));
    }

    static BigInteger mask(int prefix, int bits) {
        return BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
                .xor(BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE));
    }

    static Target network(byte[] addr, int prefix) {
        int bits = addr.length * 8;
        BigInteger masked = new BigInteger(1, addr).and(mask(prefix, bits));
        byte[] raw = masked.toByteArray();
        byte[] out = new byte[addr.length];
        int copy = Math.min(raw.length, out.length);
        System.arraycopy(raw, raw.length - copy, out, out.length - copy, copy);
        String text;
        try {
            text = InetAddress.getByAddress(out).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        Kind kind = addr.length == 4 ? Kind.V4 : Kind.V6;
        if (kind == Kind.V6) {
            text = Targets.compressV6(out);
        }
        String canonical = prefix == bits ? text : text + "/" + prefix;
        return new Target(kind, canonical, out, prefix);
    }

    @Override
    public String toString() {
        return canonical;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Target t && t.kind == kind && t.canonical.equals(canonical);
    }

    @Override
    public int hashCode() {
        return canonical.hashCode();
    }
}
