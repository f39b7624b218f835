package io.terok.console.timeline;

import io.grpc.StatusRuntimeException;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.terok.api.v1.AuditEntry;
import io.terok.api.v1.AuditLogRequest;
import io.terok.api.v1.AuditRequest;
import io.terok.api.v1.BlockedEventsRequest;
import io.terok.api.v1.ClearanceEvent;
import io.terok.api.v1.ClearanceEventsRequest;
import io.terok.api.v1.ListPendingRequestsRequest;
import io.terok.api.v1.ProjectRef;
import io.terok.common.Ids;
import io.terok.console.services.ServiceErrors;
import io.terok.console.services.ServiceStubs;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Feeds {@link Timelines} from the services. From start-up it follows the two streams that carry the cause-effect
 * chain for every task: clearance's events (prompts, verdicts; clearance keeps no history of answered prompts, so
 * the console must be listening when they happen) and shield's blocked events with the first packets through. When a
 * task's timeline is read it backfills what the services keep: shield's audit log, the vault broker's audit, the
 * gate's pushes and clearance's pending prompts. Entries seen twice are folded by {@link TaskTimeline}.
 */
@ApplicationScoped
public class TimelineFeed {
    private static final Logger LOG = Logger.getLogger(TimelineFeed.class);
    /** Only this many of the latest entries go to a page. */
    static final int SHOWN = 500;
    /** How often a watched timeline re-reads what has no live stream here (broker audit, gate pushes). */
    static final Duration POLL = Duration.ofSeconds(2);

    @Inject
    ServiceStubs stubs;

    private final Timelines timelines = new Timelines();
    private final Clock clock = Clock.systemUTC();

    public Timelines timelines() {
        return timelines;
    }

    void start(@Observes StartupEvent ignored) {
        resubscribing(stubs.clearanceStreams().events(ClearanceEventsRequest.getDefaultInstance()))
                .subscribe().with(this::clearance, e -> LOG.warn("clearance event stream: " + e.getMessage()));
        resubscribing(stubs.shieldStreams().blockedEvents(BlockedEventsRequest.newBuilder().setIncludePassed(true).build()))
                .subscribe().with(c -> TimelineEvents.fromShield(c).ifPresent(timelines::add),
                        e -> LOG.warn("shield event stream: " + e.getMessage()));
    }

    private void clearance(ClearanceEvent e) {
        if (e.hasRequested()) {
            timelines.add(TimelineEvents.fromPrompt(e.getRequested()));
        } else if (e.hasResolved()) {
            timelines.verdict(e.getResolved(), clock.instant());
        }
    }

    static <T> Multi<T> resubscribing(Multi<T> events) {
        return events.onCompletion().failWith(() -> new IllegalStateException("event stream ended"))
                .onFailure().retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(10)).indefinitely();
    }

    /** The task's timeline after a backfill, latest {@link #SHOWN} items; problems name a service that did not answer. */
    public Snapshot read(String project, String taskId) {
        Ids.project("project", project);
        Ids.taskId("task", taskId);
        List<String> problems = new ArrayList<>();
        try {
            stubs.shield().auditLog(AuditLogRequest.newBuilder().setTaskId(taskId).setLimit(1000).build())
                    .getRecordsList().forEach(r -> timelines.add(TimelineEvents.fromShieldAudit(r)));
        } catch (StatusRuntimeException e) {
            problems.add("shield: " + ServiceErrors.message(e));
        }
        try {
            Iterator<AuditEntry> it = stubs.vault().audit(AuditRequest.newBuilder().setTaskId(taskId).build());
            it.forEachRemaining(a -> timelines.add(TimelineEvents.fromVault(a)));
        } catch (StatusRuntimeException e) {
            problems.add("vault: " + ServiceErrors.message(e));
        }
        try {
            stubs.gate().listPushes(ProjectRef.newBuilder().setProject(project).build()).getPushesList().stream()
                    .filter(p -> p.getTaskId().equals(taskId)).forEach(p -> timelines.add(TimelineEvents.fromPush(p)));
        } catch (StatusRuntimeException e) {
            problems.add("gate: " + ServiceErrors.message(e));
        }
        try {
            stubs.clearance().listPending(ListPendingRequestsRequest.newBuilder().setTaskId(taskId).build())
                    .getRequestsList().forEach(r -> timelines.add(TimelineEvents.fromPrompt(r)));
        } catch (StatusRuntimeException e) {
            problems.add("clearance: " + ServiceErrors.message(e));
        }
        List<TaskTimeline.Item> items = timelines.of(taskId).items();
        List<TimelineView> shown = items.subList(Math.max(0, items.size() - SHOWN), items.size()).stream()
                .map(TimelineView::of).toList();
        return new Snapshot(taskId, shown, problems);
    }

    /** The timeline now, then after each new entry of the task (and each poll that found something new). */
    public Multi<Snapshot> changes(String project, String taskId) {
        Ids.project("project", project);
        Ids.taskId("task", taskId);
        Multi<Object> entries = Multi.createFrom().emitter(em -> {
            AutoCloseable handle = timelines.listen(e -> {
                if (e.taskId().equals(taskId)) {
                    em.emit(e);
                }
            });
            em.onTermination(() -> {
                try {
                    handle.close();
                } catch (Exception ignored) {
                    // nothing to release
                }
            });
        });
        Multi<Object> ticks = Multi.createFrom().ticks().every(POLL).onOverflow().drop().map(t -> (Object) t);
        return Multi.createBy().concatenating().streams(Multi.createFrom().item((Object) "now"),
                        Multi.createBy().merging().streams(entries, ticks))
                .onOverflow().drop()
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .map(x -> read(project, taskId))
                .skip().repetitions();
    }

    public record Snapshot(String taskId, List<TimelineView> items, List<String> problems) {
    }
}
