package io.terok.console.security;

import io.terok.common.console.ConsoleLoginTokens;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every rule that decides whether a request may reach the console, as plain code the HTTP filter
 * ({@link GuardFilter}) only feeds and obeys:
 * <ol>
 *   <li>{@code Host} must name this console on the loopback ({@code 127.0.0.1:PORT} or {@code localhost:PORT}):
 *       a page on another site whose name was rebound to 127.0.0.1 (DNS rebinding) sends its own name;</li>
 *   <li>{@code Origin}, when the browser sends one, must be this console's own origin;</li>
 *   <li>{@code GET /login?token=T} redeems a one-time token minted by {@code terok console} for a session
 *       cookie; nothing else is reachable without a session (static files excepted: they hold no data);</li>
 *   <li>every request that is not GET or HEAD needs the session's CSRF token in {@value #CSRF_HEADER}.</li>
 * </ol>
 * The session cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it) and Path=/.
 * It cannot be Secure: the console speaks plain http on the loopback, where a Secure cookie would never be sent
 * back (browsers treat http://127.0.0.1 as a secure context, but the cookie's Secure flag still needs https);
 * nothing leaves the machine, so there is no wire to protect.
 */
public final class ConsoleGuard {
    public static final String COOKIE = "terok_console";
    public static final String CSRF_HEADER = "X-CSRF-Token";

    /**
     * The strictest policy the pages work with: scripts and styles only from the console's own static files (no
     * inline script, no eval), no plugins, no framing, forms and connections (fetch, server-sent events, the
     * terminal's WebSocket) only to the console itself.
     */
    public static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";

    /** Headers on every answer, refusals included. */
    public static final Map<String, String> HEADERS;

    static {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Security-Policy", CSP);
        h.put("X-Content-Type-Options", "nosniff");
        h.put("Referrer-Policy", "no-referrer");
        h.put("X-Frame-Options", "DENY");
        h.put("Cross-Origin-Opener-Policy", "same-origin");
        h.put("Cross-Origin-Resource-Policy", "same-origin");
        h.put("Cache-Control", "no-store");
        HEADERS = Map.copyOf(h);
    }

    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD");

    /** What the filter saw of one request. Header values are null when absent. */
    public record Request(String method, String path, String query, String host, String origin, String cookie,
                          String csrfHeader, int localPort) {
    }

    /** What the filter does with it. */
    public sealed interface Decision {
    }

    /** Let it through to the pages and the API; {@code session} is null only for the open static files. */
    public record Pass(ConsoleSessions.Session session) implements Decision {
    }

    /** Answer with this status and a short text for a person (never echoing the request). */
    public record Refuse(int status, String reason) implements Decision {
    }

    /** A login that worked: set the cookie and send the browser to the overview. */
    public record LoggedIn(ConsoleSessions.Session session, String setCookie) implements Decision {
    }

    private final ConsoleSessions sessions;
    private final ConsoleLoginTokens logins;

    public ConsoleGuard(ConsoleSessions sessions, ConsoleLoginTokens logins) {
        this.sessions = sessions;
        this.logins = logins;
    }

    public ConsoleSessions sessions() {
        return sessions;
    }

    public Decision check(Request r) {
        String method = r.method() == null ? "" : r.method().toUpperCase(Locale.ROOT);
        if (!hostIsOurs(r.host(), r.localPort())) {
            return new Refuse(421, "this console answers only as 127.0.0.1:" + r.localPort() + " or localhost:"
                    + r.localPort() + " (a page that reaches it under another name is refused)");
        }
        if (r.origin() != null && !r.origin().equals("http://" + r.host().toLowerCase(Locale.ROOT))) {
            return new Refuse(403, "a request from another origin is refused");
        }
        String path = r.path() == null ? "/" : r.path();
        if (path.equals("/login")) {
            return login(method, r.query());
        }
        if (path.startsWith("/static/") && SAFE_METHODS.contains(method) && !path.contains("..")) {
            return new Pass(null);
        }
        Optional<ConsoleSessions.Session> session = sessions.find(cookieValue(r.cookie()));
        if (session.isEmpty()) {
            return new Refuse(401, "not logged in: run `terok console` and open the login address it prints");
        }
        if (!SAFE_METHODS.contains(method) && !session.get().csrfMatches(r.csrfHeader())) {
            return new Refuse(403, "missing or wrong CSRF token (" + CSRF_HEADER + "): reload the page");
        }
        return new Pass(session.get());
    }

    private Decision login(String method, String query) {
        if (!method.equals("GET")) {
            return new Refuse(405, "log in with the address `terok console` prints");
        }
        String token = queryParam(query, "token");
        if (!logins.redeem(token)) {
            return new Refuse(401, "this login address is unknown, used or expired: run `terok console` for a new one");
        }
        ConsoleSessions.Session s = sessions.create();
        return new LoggedIn(s, cookie(s.id(), sessions.idle().toSeconds()));
    }

    /** The session cookie as Set-Cookie says it; {@code maxAge} 0 ends it. */
    public static String cookie(String value, long maxAgeSeconds) {
        return COOKIE + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + maxAgeSeconds;
    }

    static boolean hostIsOurs(String host, int port) {
        if (host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("127.0.0.1:" + port) || h.equals("localhost:" + port);
    }

    static String cookieValue(String header) {
        if (header == null) {
            return null;
        }
        String found = null;
        for (String part : header.split(";")) {
            String p = part.trim();
            if (p.startsWith(COOKIE + "=")) {
                if (found != null) {
                    return null; // two cookies of our name: one was planted, trust neither
                }
                found = p.substring(COOKIE.length() + 1);
            }
        }
        return found;
    }

    static String queryParam(String query, String name) {
        if (query == null) {
            return null;
        }
        for (String part : query.split("&")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        return null;
    }
}
