package io.terok.shield.events;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses one line of {@code tcpdump [-e] -n -l -q -t -i nflog:N} into destination, port and protocol. */
public final class NflogLine {
    public record Packet(String destination, int port, String protocol) {
    }

    /** A packet and the NFLOG group (tcpdump's "resource ID") that logged it. */
    public record Logged(int group, Packet packet) {
    }

    // with -e: version 0, resource ID 102, IPv4, length 108: 10.0.2.100.41234 > 198.18.0.3.80: tcp 0
    private static final Pattern LINK_HEADER = Pattern.compile("^version \\d+, resource ID (\\d+), (IPv4|IPv6), length \\d+: (.*)$");

    // IP 10.0.2.100.41234 > 198.18.0.3.80: tcp 0
    // IP 10.0.2.100.5353 > 198.18.0.3.53: UDP, length 30
    // IP6 fd00::1.41234 > 2001:db8::1.443: tcp 0
    // IP 10.0.2.100 > 198.18.0.3: ICMP echo request, id 1, seq 1, length 64
    private static final Pattern WITH_PORT = Pattern.compile(
            "^(IP6?) (\\S+)\\.(\\d+) > ([0-9a-fA-F:.]+)\\.(\\d+): (tcp|UDP|udp|sctp|SCTP)\\b.*");
    private static final Pattern NO_PORT = Pattern.compile("^(IP6?) (\\S+) > ([0-9a-fA-F:.]+): (ICMP6?|[a-zA-Z0-9-]+).*");

    private NflogLine() {
    }

    /** Parses a line of {@code tcpdump -e -n -l -q -t -i nflog:A,B} (several groups, each line naming its own). */
    public static Optional<Logged> parseLogged(String line) {
        Matcher h = LINK_HEADER.matcher(line.strip());
        if (!h.matches()) {
            return Optional.empty();
        }
        String rest = (h.group(2).equals("IPv4") ? "IP " : "IP6 ") + h.group(3);
        return parse(rest).map(p -> new Logged(Integer.parseInt(h.group(1)), p));
    }

    public static Optional<Packet> parse(String line) {
        Matcher m = WITH_PORT.matcher(line.strip());
        if (m.matches()) {
            return Optional.of(new Packet(m.group(4), Integer.parseInt(m.group(5)), m.group(6).toLowerCase()));
        }
        m = NO_PORT.matcher(line.strip());
        if (m.matches()) {
            String proto = m.group(4).toLowerCase();
            return Optional.of(new Packet(m.group(3), 0, proto.startsWith("icmp") ? proto : proto));
        }
        return Optional.empty();
    }
}
