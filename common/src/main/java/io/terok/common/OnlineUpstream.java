package io.terok.common;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The upstream of a project in online mode, as the task's firewall sees it: the one host and port the container may
 * reach for its pushes, and whether git talks ssh (signed by the vault's agent) or https (no credential at all).
 * Only an upstream shield can open qualifies: a local path or {@code file://} is on the host, loopback and link-local
 * are never opened for a task, and a URL with a password in it would put that credential in the container. In
 * common because two places ask it: runtime's project init and task launch, and {@code terok project wizard}, which
 * refuses online for such an upstream with the same words before anything is sent.
 */
public record OnlineUpstream(String url, Scheme scheme, String host, int port) {
    public enum Scheme {
        SSH, HTTPS, HTTP
    }

    private static final String WHY = "online lets the task push to its upstream itself, so the task's firewall must "
            + "open the upstream's host and port; ";
    private static final Pattern SCP = Pattern.compile("(?:[A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+]):(?!//)[^\\s]+");
    private static final Pattern DOMAIN = Pattern.compile("(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*"
            + "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    /** How a task resolves the upstream's host: the host's resolver in production, a table in unit tests. */
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;

        Resolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));
    }

    /**
     * The upstream {@code url} of an online project, or an INVALID_ARGUMENT naming {@code security} and why this
     * upstream cannot be opened in a task's firewall.
     */
    public static OnlineUpstream of(String url) {
        if (url == null || url.isBlank()) {
            throw refused("the project has no upstream.url");
        }
        String shown = Printable.line(url, 200);
        if (!url.contains("://")) {
            Matcher m = SCP.matcher(url);
            if (url.startsWith("/") || url.startsWith(".") || !m.matches()) {
                throw refused("'" + shown + "' is a path on this machine, which a container cannot reach");
            }
            return new OnlineUpstream(url, Scheme.SSH, host(m.group(1), shown), 22);
        }
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw refused("'" + shown + "' is not a URL (" + e.getReason() + ")");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
        Scheme s = switch (scheme) {
            case "ssh", "git+ssh", "ssh+git" -> Scheme.SSH;
            case "https" -> Scheme.HTTPS;
            case "http" -> Scheme.HTTP;
            case "file" -> throw refused("'" + shown + "' is a path on this machine, which a container cannot reach");
            default -> throw refused("'" + Printable.line(scheme, 20) + "://' upstreams are not supported (ssh://, user@host:path, "
                    + "https:// are)");
        };
        if (u.getRawUserInfo() != null && u.getRawUserInfo().contains(":")) {
            throw refused("the URL holds a password, which would be in the task's container: remove it from upstream.url");
        }
        if (u.getHost() == null) {
            throw refused("'" + shown + "' names no host");
        }
        int port = u.getPort() > 0 ? u.getPort() : s == Scheme.SSH ? 22 : s == Scheme.HTTPS ? 443 : 80;
        return new OnlineUpstream(url, s, host(u.getHost(), shown), port);
    }

    private static String host(String raw, String shown) {
        String h = raw.startsWith("[") && raw.endsWith("]") ? raw.substring(1, raw.length() - 1) : raw;
        if (h.equalsIgnoreCase("localhost") || h.toLowerCase(java.util.Locale.ROOT).endsWith(".localhost")) {
            throw refused("'" + shown + "' is on this machine's loopback, which a task's firewall never opens");
        }
        if (literal(h)) {
            check(literalAddress(h), shown);
        } else if (!DOMAIN.matcher(h).matches()) {
            throw refused("'" + Printable.line(h, 100) + "' in '" + shown + "' is not a host name or address");
        }
        return h;
    }

    static boolean literal(String h) {
        return h.contains(":") || h.matches("[0-9.]+");
    }

    private static InetAddress literalAddress(String h) {
        try {
            // A literal is parsed, never looked up.
            return InetAddress.getByName(h);
        } catch (UnknownHostException e) {
            throw refused("'" + Printable.line(h, 100) + "' is not an address");
        }
    }

    /** Loopback, link-local, unspecified and multicast are never a task's upstream (shield refuses them too). */
    private static void check(InetAddress a, String shown) {
        if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress() || a.isMulticastAddress()
                || (a instanceof Inet4Address && a.getHostAddress().equals("10.0.2.2"))) {
            throw refused("'" + shown + "' is at " + a.getHostAddress() + " (loopback, link-local or the host's own address "
                    + "as a container sees it), which a task's firewall never opens");
        }
    }

    /**
     * The addresses the task's firewall opens (each with {@link #port()} only): the host's addresses now, each checked as
     * {@link #of} checks a literal, at least one.
     */
    public List<String> addresses(Resolver resolver) {
        if (literal(host)) {
            return List.of(literalAddress(host).getHostAddress());
        }
        List<InetAddress> found;
        try {
            found = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw ServiceException.precondition("the upstream host " + Printable.line(host, 100) + " does not resolve, so the "
                    + "task's firewall cannot open it: check upstream.url and the network, then run the task again");
        }
        List<String> out = new ArrayList<>();
        for (InetAddress a : found) {
            check(a, Printable.line(url, 200));
            if (!out.contains(a.getHostAddress())) {
                out.add(a.getHostAddress());
            }
        }
        if (out.isEmpty()) {
            throw ServiceException.precondition("the upstream host " + Printable.line(host, 100) + " has no address");
        }
        return out;
    }

    private static ServiceException refused(String why) {
        return ServiceException.invalid("security", WHY + why + "; use security: gatekeeping (the default) for it");
    }
}
