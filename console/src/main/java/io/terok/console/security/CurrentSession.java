package io.terok.console.security;

import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;

/** The session {@link GuardFilter} found for this request: pages put its CSRF token into their layout. */
@RequestScoped
public class CurrentSession {
    @Inject
    CurrentVertxRequest request;

    public ConsoleSessions.Session session() {
        ConsoleSessions.Session s = request.getCurrent().get(GuardFilter.SESSION);
        if (s == null) {
            throw new IllegalStateException("no session on a guarded route");
        }
        return s;
    }

    public String csrf() {
        return session().csrf();
    }
}
