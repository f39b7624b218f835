package io.terok.console.clearance;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.terok.api.v1.ClearanceEventsRequest;
import io.terok.api.v1.ListPendingRequestsRequest;
import io.terok.api.v1.VerdictResponse;
import io.terok.console.security.GuardFilter;
import io.terok.console.services.ServiceStubs;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.List;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * Pending clearance requests of every task, live, and the operator's Allow/Deny on them (the guard has checked the
 * session, CSRF token, Host and Origin of every request here). Rooted at / like every console resource (a class at a
 * longer path would hide the other classes' methods under it).
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class ClearanceResource {
    private static final Logger LOG = Logger.getLogger(ClearanceResource.class);

    @Inject
    ServiceStubs stubs;

    public record VerdictBody(String requestId, String decision) {
    }

    public record VerdictAnswer(String requestId, String outcome, String message) {
    }

    @GET
    @Path("api/clearance/pending")
    @Blocking
    public List<PendingPrompt> pending() {
        return stubs.clearance().listPending(ListPendingRequestsRequest.getDefaultInstance()).getRequestsList().stream()
                .map(PendingPrompt::of).toList();
    }

    /**
     * The pending list now and after each of clearance's events (a request raised, repeated or resolved), as
     * server-sent events carrying the same JSON as {@link #pending()}.
     */
    @GET
    @Path("api/clearance/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<List<PendingPrompt>> events() {
        Multi<Object> notices = stubs.clearanceStreams().events(ClearanceEventsRequest.getDefaultInstance())
                .map(e -> (Object) e)
                .onCompletion().failWith(() -> new IllegalStateException("clearance's event stream ended"))
                .onFailure().retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(10)).indefinitely();
        return Multi.createBy().concatenating().streams(Multi.createFrom().item((Object) "now"), notices)
                .onOverflow().drop()
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .map(x -> pending())
                .skip().repetitions();
    }

    /**
     * Allow or Deny one pending request: clearance's Verdict, as the desktop notification's buttons call it. The
     * answer's {@code Server-Timing} header gives the stages (the guard, the dispatch to this method, clearance's
     * ListPending, its Verdict, which includes shield opening the firewall): the page's own timing of the request shows
     * the rest, so a slow click can be taken apart (docs/benchmarks.md, "Console").
     */
    @POST
    @Path("api/clearance/verdict")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    public VerdictAnswer verdict(VerdictBody body, RoutingContext rc) {
        long t0 = System.nanoTime();
        var pending = stubs.clearance().listPending(ListPendingRequestsRequest.getDefaultInstance()).getRequestsList();
        var request = Verdicts.request(pending, body == null ? null : body.requestId(), body == null ? null : body.decision());
        long t1 = System.nanoTime();
        VerdictResponse r = stubs.clearance().verdict(request);
        long t2 = System.nanoTime();
        Long guard = rc.get(GuardFilter.GUARD_NANOS);
        Long passed = rc.get(GuardFilter.PASSED_AT);
        // dispatch: from the guard to this method (routing, the worker thread, reading the JSON body)
        String timing = String.format(java.util.Locale.ROOT, "guard;dur=%.1f, dispatch;dur=%.1f, pending;dur=%.1f, verdict;dur=%.1f",
                (guard == null ? 0 : guard) / 1e6, (passed == null ? 0 : t0 - passed) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        rc.response().putHeader("Server-Timing", timing);
        String outcome = r.getOutcome().name().replace("OUTCOME_", "");
        LOG.infof("operator's verdict on request %s of task %s: %s (%s)", request.getRequestId(), request.getTaskId(), outcome, timing);
        return new VerdictAnswer(request.getRequestId(), outcome,
                io.terok.common.Printable.line(r.getDetail().isEmpty() ? outcome.toLowerCase() : r.getDetail(), 400));
    }
}
