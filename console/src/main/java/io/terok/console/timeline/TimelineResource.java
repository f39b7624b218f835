package io.terok.console.timeline;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** A task's timeline: its JSON and its live stream (the task by its full id, as the task page names it). */
@Path("/")
public class TimelineResource {
    @Inject
    TimelineFeed feed;

    @GET
    @Path("api/tasks/{project}/{task}/timeline")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public TimelineFeed.Snapshot json(@PathParam("project") String project, @PathParam("task") String task) {
        return feed.read(project, task);
    }

    @GET
    @Path("api/tasks/{project}/{task}/timeline/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<TimelineFeed.Snapshot> events(@PathParam("project") String project, @PathParam("task") String task) {
        return feed.changes(project, task);
    }
}
