package io.terok.console.security;

import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;

/** Ends this browser's session (the guard has checked its CSRF token like any other change). */
@Path("/logout")
public class LogoutResource {
    @Inject
    GuardFilter filter;
    @Inject
    CurrentSession session;

    @POST
    public Response logout() {
        filter.guard().sessions().end(session.session());
        return Response.noContent().header("Set-Cookie", ConsoleGuard.cookie("", 0)).build();
    }
}
