package io.terok.console.web;

import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.terok.console.api.LogLine;
import io.terok.console.api.TaskDetail;
import io.terok.console.security.CurrentSession;
import io.terok.console.services.TaskSource;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** A task's page, its JSON, and its live output as server-sent events. */
@Path("/")
public class TaskResource {
    @Inject
    TaskSource source;
    @Inject
    CurrentSession session;
    @Inject
    Template task;

    @GET
    @Path("tasks/{project}/{task}")
    @Produces(MediaType.TEXT_HTML)
    @Blocking
    public TemplateInstance page(@PathParam("project") String project, @PathParam("task") String taskRef) {
        return task.data("csrf", session.csrf()).data("detail", source.read(project, taskRef));
    }

    @GET
    @Path("api/tasks/{project}/{task}")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public TaskDetail json(@PathParam("project") String project, @PathParam("task") String taskRef) {
        return source.read(project, taskRef);
    }

    /** The agent's output: what was kept, then live lines while it runs. */
    @GET
    @Path("api/tasks/{project}/{task}/output")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<LogLine> output(@PathParam("project") String project, @PathParam("task") String taskRef) {
        return source.output(project, taskRef);
    }
}
