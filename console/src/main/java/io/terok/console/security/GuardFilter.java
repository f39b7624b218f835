package io.terok.console.security;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.terok.common.console.ConsoleLoginTokens;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Puts {@link ConsoleGuard} in front of every route (pages, API, event streams, static files): it runs before
 * anything else and either refuses, logs a browser in, or passes the request on with its session in the routing
 * context ({@link #SESSION}, read by {@link CurrentSession}).
 */
@ApplicationScoped
public class GuardFilter {
    public static final String SESSION = "terok.console.session";
    /** How long the guard took on this request, in nanoseconds (a resource may report it, see ClearanceResource). */
    public static final String GUARD_NANOS = "terok.console.guard-nanos";
    /** When the guard let this request through ({@link System#nanoTime()}): the resource's dispatch starts there. */
    public static final String PASSED_AT = "terok.console.passed-at";
    private static final Logger LOG = Logger.getLogger(GuardFilter.class);

    private final ConsoleGuard guard;

    GuardFilter(@ConfigProperty(name = "terok.runtime-dir") Path runtimeDir,
                @ConfigProperty(name = "terok.console.session-idle") Duration idle) {
        this.guard = new ConsoleGuard(new ConsoleSessions(Clock.systemUTC(), idle), new ConsoleLoginTokens(runtimeDir));
    }

    public ConsoleGuard guard() {
        return guard;
    }

    void register(@Observes Filters filters) {
        // Highest priority: before Quarkus's own handlers and every resource.
        filters.register(this::filter, Integer.MAX_VALUE);
    }

    /**
     * The host and port the client asked for: the Host header, or HTTP/2's :authority (a client that upgraded
     * with h2c sends no Host header). Null when it cannot be read, which the guard refuses.
     */
    static String authority(HttpServerRequest req) {
        HostAndPort a = req.authority();
        if (a == null || a.host() == null) {
            return null;
        }
        return a.port() >= 0 ? a.host() + ":" + a.port() : a.host();
    }

    void filter(RoutingContext rc) {
        long start = System.nanoTime();
        HttpServerRequest req = rc.request();
        HttpServerResponse res = rc.response();
        ConsoleGuard.HEADERS.forEach(res::putHeader);
        ConsoleGuard.Decision d = guard.check(new ConsoleGuard.Request(req.method().name(), req.path(), req.query(),
                authority(req), req.getHeader("Origin"), req.getHeader("Cookie"),
                req.getHeader(ConsoleGuard.CSRF_HEADER), req.localAddress() == null ? -1 : req.localAddress().port()));
        if (d instanceof ConsoleGuard.Refuse r) {
            if (r.status() != 401 || !req.path().equals("/login")) {
                LOG.debugf("refused %s %s: %d", req.method(), req.path(), r.status());
            } else {
                LOG.info("refused a login with an unknown, used or expired token");
            }
            res.setStatusCode(r.status()).putHeader("Content-Type", "text/plain; charset=utf-8").end(r.reason() + "\n");
        } else if (d instanceof ConsoleGuard.LoggedIn l) {
            LOG.info("a browser logged in with a one-time token");
            res.setStatusCode(303).putHeader("Set-Cookie", l.setCookie()).putHeader("Location", "/").end();
        } else if (d instanceof ConsoleGuard.Pass p) {
            if (p.session() != null) {
                rc.put(SESSION, p.session());
            }
            long passed = System.nanoTime();
            rc.put(GUARD_NANOS, passed - start);
            rc.put(PASSED_AT, passed);
            rc.next();
        }
    }
}
