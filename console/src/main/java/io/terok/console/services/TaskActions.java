package io.terok.console.services;

import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.subscription.Cancellable;
import io.terok.api.v1.AgentTask;
import io.terok.api.v1.AgentTaskEvent;
import io.terok.api.v1.DeleteAgentTaskRequest;
import io.terok.api.v1.RunAgentTaskRequest;
import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.console.api.TaskSummary;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * Start, stop and delete agent tasks through runtime's AgentTaskService. A start names the task itself (so it
 * can answer with the task while the agent runs on: runtime keeps running a task whose client went away) and
 * answers once runtime has accepted it: bad input comes back at once as the service's error naming the field, and
 * a launch that fails later is kept as a problem line on the overview.
 */
@ApplicationScoped
public class TaskActions {
    private static final Logger LOG = Logger.getLogger(TaskActions.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Enough for runtime to validate and refuse bad input, launch the container and say so. */
    private static final Duration ACCEPT_WAIT = Duration.ofSeconds(90);
    private static final int KEPT_FAILURES = 10;

    @Inject
    ServiceStubs stubs;

    private final Deque<String> failures = new ConcurrentLinkedDeque<>();

    /** What a start asks for; only {@code project} and {@code prompt} are required. */
    public record StartRequest(String project, String prompt, String agent, String provider, String model,
                               String name, String branch, Integer timeoutSeconds) {
    }

    /** What a start answers: the task's name (its page is /tasks/PROJECT/NAME) and runtime's first word on it. */
    public record Started(String project, String name, String message) {
    }

    public Started start(StartRequest r) {
        if (r == null) {
            throw ServiceException.invalid("body", "a JSON object with project and prompt is required");
        }
        String project = Ids.project("project", r.project());
        if (r.prompt() == null || r.prompt().isBlank()) {
            throw ServiceException.invalid("prompt", "is required: what the agent should do");
        }
        String name = r.name() == null || r.name().isBlank() ? generatedName(project) : Ids.taskName("name", r.name());
        if (r.timeoutSeconds() != null && r.timeoutSeconds() < 0) {
            throw ServiceException.invalid("timeoutSeconds", "must be 0 (none) or a number of seconds");
        }
        RunAgentTaskRequest.Builder b = RunAgentTaskRequest.newBuilder().setProject(project).setPrompt(r.prompt()).setName(name);
        if (r.agent() != null) {
            b.setAgent(r.agent().trim());
        }
        if (r.provider() != null) {
            b.setProvider(r.provider().trim());
        }
        if (r.model() != null) {
            b.setModel(r.model().trim());
        }
        if (r.branch() != null && !r.branch().isBlank()) {
            b.setBranch(Ids.branch("branch", r.branch()));
        }
        if (r.timeoutSeconds() != null) {
            b.setTimeoutSeconds(r.timeoutSeconds());
        }
        CompletableFuture<String> accepted = new CompletableFuture<>();
        String label = project + "/" + name;
        Cancellable run = stubs.agentTaskStreams().run(b.build()).subscribe().with(
                e -> accepted.complete(firstWord(e)),
                failure -> {
                    if (!accepted.completeExceptionally(failure)) {
                        String why = failure instanceof StatusRuntimeException s ? ServiceErrors.message(s) : String.valueOf(failure);
                        LOG.warnf("task %s started from the console failed: %s", label, why);
                        keep("task " + label + " failed after it started: " + why);
                    }
                },
                () -> accepted.complete("the run ended"));
        try {
            String first = accepted.get(ACCEPT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.infof("task %s started from the console", label);
            return new Started(project, name, "started " + name + ": " + first);
        } catch (ExecutionException e) {
            run.cancel();
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            // Still starting (a large image, a slow pull of the agent): it goes on, the overview will show it.
            return new Started(project, name, "starting " + name + " (runtime has not said more yet)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.cancel();
            throw new IllegalStateException("interrupted");
        }
    }

    public TaskSummary stop(String project, String task) {
        AgentTask t = stubs.agentTasks().withDeadlineAfter(60, TimeUnit.SECONDS).stop(TaskSource.ref(Ids.project("project", project), task));
        LOG.infof("task %s/%s stopped from the console", t.getProject(), t.getName());
        return TaskSummary.of(t, 0);
    }

    public List<String> delete(String project, String task, boolean purge) {
        var removed = stubs.agentTasks().withDeadlineAfter(60, TimeUnit.SECONDS).delete(DeleteAgentTaskRequest.newBuilder()
                .setTask(TaskSource.ref(Ids.project("project", project), task)).setPurge(purge).build()).getRemovedList();
        LOG.infof("task %s/%s deleted from the console%s", project, Printable.line(task), purge ? " (with its branch)" : "");
        return removed.stream().map(x -> Printable.line(x, 400)).toList();
    }

    /** Launch failures after a start had been accepted, newest first, for the overview. */
    public List<String> recentFailures() {
        return new ArrayList<>(failures);
    }

    private void keep(String line) {
        failures.addFirst(Instant.now() + " " + Printable.line(line, 400));
        while (failures.size() > KEPT_FAILURES) {
            failures.pollLast();
        }
    }

    private static String firstWord(AgentTaskEvent e) {
        return switch (e.getEventCase()) {
            case PROGRESS -> Printable.line(e.getProgress());
            case OUTPUT -> "the agent is running";
            case SUMMARY -> "ended: " + Printable.line(e.getSummary().getOutcome().name());
            default -> "accepted";
        };
    }

    /** runtime's own default is "&lt;project&gt;-&lt;8 hex&gt;"; the project part is cut so the name stays within 63. */
    static String generatedName(String project) {
        byte[] raw = new byte[4];
        RANDOM.nextBytes(raw);
        String p = project.length() > 54 ? project.substring(0, 54) : project;
        return p + "-" + HexFormat.of().formatHex(raw);
    }
}
