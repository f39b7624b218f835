package io.terok.console.web;

import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.terok.console.api.Overview;
import io.terok.console.security.CurrentSession;
import io.terok.console.services.OverviewSource;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** The projects and tasks overview: the page, its JSON and its live stream. */
@Path("/")
public class OverviewResource {
    @Inject
    OverviewSource source;
    @Inject
    CurrentSession session;
    @Inject
    Template overview;

    @GET
    @Produces(MediaType.TEXT_HTML)
    @Blocking
    public TemplateInstance page() {
        return overview.data("csrf", session.csrf()).data("overview", source.read());
    }

    @GET
    @Path("api/overview")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Overview json() {
        return source.read();
    }

    /** The overview at once and after each change, as server-sent events carrying the same JSON as {@link #json}. */
    @GET
    @Path("api/overview/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<Overview> events() {
        return source.changes();
    }
}
