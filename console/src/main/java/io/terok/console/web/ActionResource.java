package io.terok.console.web;

import io.smallrye.common.annotation.Blocking;
import io.terok.api.v1.PanicReport;
import io.terok.api.v1.PanicRequest;
import io.terok.common.Printable;
import io.terok.console.api.TaskSummary;
import io.terok.console.security.CurrentSession;
import io.terok.console.services.PanicConfirmations;
import io.terok.console.services.ServiceStubs;
import io.terok.console.services.TaskActions;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * What the console changes: start, stop and delete a task; the panic button. The guard has checked CSRF for all.
 * Rooted at "/" like every resource here: JAX-RS picks the class by its own path first, so a class at "/api" would
 * hide the other classes' /api/... methods.
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class ActionResource {
    private static final Logger LOG = Logger.getLogger(ActionResource.class);
    private static final PanicConfirmations PANIC = new PanicConfirmations(Clock.systemUTC());

    @Inject
    TaskActions actions;
    @Inject
    ServiceStubs stubs;
    @Inject
    CurrentSession session;

    /** {@code confirm}: empty to ask, then the code the first answer gave. */
    public record PanicBody(String confirm, Boolean stopTasks) {
    }

    @POST
    @Path("api/tasks")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    public Response start(TaskActions.StartRequest body) {
        return Response.status(202).entity(actions.start(body)).build();
    }

    @POST
    @Path("api/tasks/{project}/{task}/stop")
    @Blocking
    public TaskSummary stop(@PathParam("project") String project, @PathParam("task") String task) {
        return actions.stop(project, task);
    }

    @DELETE
    @Path("api/tasks/{project}/{task}")
    @Blocking
    public Map<String, Object> delete(@PathParam("project") String project, @PathParam("task") String task,
                                      @QueryParam("purge") boolean purge) {
        List<String> removed = actions.delete(project, task, purge);
        return Map.of("removed", removed, "message", "deleted: " + String.join(", ", removed));
    }

    /**
     * The emergency stop, in two requests: without {@code confirm} it only answers with a confirmation code
     * (nothing happens); with that code, within a minute, runtime's Panic runs: no new tasks, every firewall
     * blocked, the vault locked and held.
     */
    @POST
    @Path("api/panic")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    public Response panic(PanicBody body) {
        String sid = session.session().id();
        String code = body == null ? null : body.confirm();
        if (code == null || code.isBlank()) {
            return Response.status(409).entity(Map.of("confirm", PANIC.ask(sid),
                    "message", "Send this again with the confirmation code to stop every task: no new tasks, every firewall"
                            + " blocked, the vault locked and held")).build();
        }
        if (!PANIC.confirm(sid, code)) {
            return Response.status(403).entity(Map.of("error",
                    "confirm: wrong or expired confirmation code; ask again (POST /api/panic without confirm)")).build();
        }
        boolean stopTasks = body.stopTasks() != null && body.stopTasks();
        LOG.warn("!!! panic engaged from the console");
        PanicReport r = stubs.runtime().withDeadlineAfter(120, TimeUnit.SECONDS)
                .panic(PanicRequest.newBuilder().setStopTasks(stopTasks).build());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("active", r.getState().getActive());
        out.put("vaultHeld", r.getVaultHeld());
        out.put("tasks", r.getTasksList().stream().map(t -> Map.of("name", Printable.line(t.getName()),
                "contained", t.getContained(), "detail", Printable.line(t.getDetail(), 400))).toList());
        out.put("message", "panic engaged: " + r.getTasksCount() + " task(s) contained"
                + (r.getVaultHeld() ? ", vault held" : ", vault NOT held: " + Printable.line(r.getVaultError(), 400)));
        return Response.ok(out).build();
    }
}
