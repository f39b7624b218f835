package io.terok.console.terminal;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import io.terok.console.security.ConsoleGuard;
import io.terok.console.security.GuardFilter;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * The WebSocket upgrade of the terminal is a GET, which the guard lets through with a session alone; a terminal is
 * a shell in the task, so its upgrade must also prove it comes from the console's own page: the session's CSRF token
 * in the {@code csrf} query parameter (a WebSocket cannot carry a custom header) and an {@code Origin} header equal
 * to the console's own (browsers always send one on a WebSocket; another site's page cannot forge it). The guard
 * has already checked Host, the Origin when present, and the session cookie.
 */
@ApplicationScoped
public class TerminalUpgradeCheck implements HttpUpgradeCheck {
    private static final Logger LOG = Logger.getLogger(TerminalUpgradeCheck.class);

    @Inject
    GuardFilter guard;

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpServerRequest req = context.httpRequest();
        String why = refusal(req.getHeader("Host"), req.getHeader("Origin"), req.getHeader("Cookie"), req.getParam("csrf"));
        if (why != null) {
            LOG.infof("refused a terminal upgrade: %s", why);
            return CheckResult.rejectUpgrade(403);
        }
        return CheckResult.permitUpgrade();
    }

    /** Why the upgrade is refused, or null when it may go ahead. */
    String refusal(String host, String origin, String cookie, String csrf) {
        if (origin == null || host == null || !origin.equals("http://" + host.toLowerCase(java.util.Locale.ROOT))) {
            return "no Origin, or not the console's own";
        }
        var session = guard.guard().sessions().find(Cookies.value(cookie, ConsoleGuard.COOKIE));
        if (session.isEmpty()) {
            return "no session";
        }
        if (!session.get().csrfMatches(csrf)) {
            return "missing or wrong csrf parameter";
        }
        return null;
    }
}
