package io.terok.console.web;

import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.common.annotation.Blocking;
import io.terok.api.v1.RefUpdate;
import io.terok.common.Printable;
import io.terok.console.api.Review;
import io.terok.console.security.CurrentSession;
import io.terok.console.services.ReviewSource;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;

/** The review page of a task's branch, its JSON, and Forward pinned to the commit the review showed. */
@Path("/")
public class ReviewResource {
    @Inject
    ReviewSource source;
    @Inject
    CurrentSession session;
    @Inject
    Template review;

    /** The body of a forward: the commit the operator saw. */
    public record ForwardBody(String commit) {
    }

    @GET
    @Path("review/{project}/{task}")
    @Produces(MediaType.TEXT_HTML)
    @Blocking
    public TemplateInstance page(@PathParam("project") String project, @PathParam("task") String task) {
        return review.data("csrf", session.csrf()).data("review", source.read(project, task));
    }

    @GET
    @Path("api/tasks/{project}/{task}/review")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Review json(@PathParam("project") String project, @PathParam("task") String task) {
        return source.read(project, task);
    }

    @POST
    @Path("api/tasks/{project}/{task}/forward")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Map<String, String> forward(@PathParam("project") String project, @PathParam("task") String task, ForwardBody body) {
        RefUpdate u = source.forward(project, task, body == null ? null : body.commit());
        return Map.of("message", "forwarded " + u.getNewId() + " to upstream " + Printable.line(u.getRef()),
                "commit", u.getNewId(), "ref", Printable.line(u.getRef()));
    }
}
