package io.terok.console.services;

import io.terok.api.v1.AgentTask;
import io.terok.api.v1.DiffResponse;
import io.terok.api.v1.ForwardRequest;
import io.terok.api.v1.RefUpdate;
import io.terok.api.v1.ReviewRequest;
import io.terok.api.v1.ShowProjectRequest;
import io.terok.common.ServiceException;
import io.terok.common.TaskForwarding;
import io.terok.console.api.Review;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Review and forward through the gate, the way {@code terok task review/forward} does: the task's branch against
 * the project's default branch, and a forward pinned to the commit the page showed. The gate refuses the forward
 * when the branch has moved since (a task that pushed after the review cannot slip unreviewed commits upstream). An
 * online task's forward is refused before the gate is asked ({@link TaskForwarding}, as {@code terok task forward}).
 */
@ApplicationScoped
public class ReviewSource {
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    /** Forward pushes a repository upstream: more than the console's usual deadline. */
    private static final Duration FORWARD_DEADLINE = Duration.ofMinutes(10);

    @Inject
    ServiceStubs stubs;

    public Review read(String project, String task) {
        AgentTask t = stubs.agentTasks().show(TaskSource.ref(project, task));
        String against = defaultBranch(t.getProject());
        DiffResponse d = stubs.gate(FORWARD_DEADLINE).diff(ReviewRequest.newBuilder().setProject(t.getProject())
                .setBranch(t.getBranch()).setAgainst(against).build());
        return Review.of(t, against, d);
    }

    /** Sends exactly {@code expectedCommit} (the reviewed one) upstream to the branch of the same name. */
    public RefUpdate forward(String project, String task, String expectedCommit) {
        if (expectedCommit == null || !COMMIT.matcher(expectedCommit).matches()) {
            throw new ServiceException(ServiceException.Kind.INVALID,
                    "commit: the full id (40 hex digits) of the commit the review showed is required");
        }
        AgentTask t = stubs.agentTasks().show(TaskSource.ref(project, task));
        // The page hides Forward for an online task; a request made anyway (an old page, a script) is refused here.
        TaskForwarding.requireForwardable(t.getName(), t.getBranch(), t.getUpstreamUrl());
        return stubs.gate(FORWARD_DEADLINE).forward(ForwardRequest.newBuilder().setProject(t.getProject())
                .setBranch(t.getBranch()).setExpectedCommit(expectedCommit).build()).getUpdate();
    }

    private String defaultBranch(String project) {
        String b = stubs.projects().show(ShowProjectRequest.newBuilder().setProject(project).build()).getSettings().getDefaultBranch();
        return b.isEmpty() ? "main" : b;
    }
}
