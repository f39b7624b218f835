package io.terok.console.services;

import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.terok.api.v1.AgentTask;
import io.terok.api.v1.ClearanceEventsRequest;
import io.terok.api.v1.ClearanceRequest;
import io.terok.api.v1.EventsRequest;
import io.terok.api.v1.ListAgentTasksRequest;
import io.terok.api.v1.ListPendingRequestsRequest;
import io.terok.api.v1.ListProjectSettingsRequest;
import io.terok.api.v1.ProjectInfo;
import io.terok.console.api.Overview;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The overview, now and as it changes. A change is noticed three ways: runtime's container events (a task started,
 * died, was removed), clearance's events (a prompt was raised or answered), and a short poll for what neither
 * announces (an agent that finished inside a still-running container). Each notice re-reads the overview; only a
 * different one is sent on.
 */
@ApplicationScoped
public class OverviewSource {
    static final Duration POLL = Duration.ofSeconds(2);

    @Inject
    ServiceStubs stubs;
    @Inject
    TaskActions actions;

    /** One read of projects, tasks and pending prompts; a service that does not answer becomes a problem line. */
    public Overview read() {
        List<String> problems = new ArrayList<>();
        List<ProjectInfo> projects = List.of();
        List<AgentTask> tasks = List.of();
        List<ClearanceRequest> pending = List.of();
        try {
            var answer = stubs.projects().list(ListProjectSettingsRequest.getDefaultInstance());
            projects = answer.getProjectsList();
            answer.getBrokenList().forEach(b -> problems.add("unreadable project file: " + b));
        } catch (StatusRuntimeException e) {
            problems.add("projects: " + ServiceErrors.message(e));
        }
        try {
            tasks = stubs.agentTasks().list(ListAgentTasksRequest.getDefaultInstance()).getTasksList();
        } catch (StatusRuntimeException e) {
            problems.add("tasks: " + ServiceErrors.message(e));
        }
        try {
            pending = stubs.clearance().listPending(ListPendingRequestsRequest.getDefaultInstance()).getRequestsList();
        } catch (StatusRuntimeException e) {
            problems.add("prompts: " + ServiceErrors.message(e));
        }
        problems.addAll(actions.recentFailures());
        return Overview.of(projects, tasks, pending, problems);
    }

    /** The overview now, then each time it changes, for as long as the subscriber stays. */
    public Multi<Overview> changes() {
        Multi<Object> runtimeEvents = resubscribing(stubs.runtimeStreams().events(EventsRequest.getDefaultInstance()));
        Multi<Object> clearanceEvents = resubscribing(stubs.clearanceStreams().events(ClearanceEventsRequest.getDefaultInstance()));
        Multi<Object> ticks = Multi.createFrom().ticks().every(POLL).onOverflow().drop().map(t -> (Object) t);
        Multi<Object> notices = Multi.createBy().merging().streams(ticks, runtimeEvents, clearanceEvents);
        return Multi.createBy().concatenating().streams(Multi.createFrom().item((Object) "now"), notices)
                .onOverflow().drop()
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .map(x -> read())
                .skip().repetitions();
    }

    /** A service's event stream that outlives the service: ended or failed, it is opened again a little later. */
    static <T> Multi<Object> resubscribing(Multi<T> events) {
        return events.map(e -> (Object) e)
                .onCompletion().failWith(() -> new IllegalStateException("event stream ended"))
                .onFailure().retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(10)).indefinitely();
    }
}
