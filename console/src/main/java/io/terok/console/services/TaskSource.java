package io.terok.console.services;

import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.Multi;
import io.terok.api.v1.AgentTask;
import io.terok.api.v1.AgentTaskLogsRequest;
import io.terok.api.v1.AgentTaskRef;
import io.terok.api.v1.ListPendingRequestsRequest;
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.ShieldTaskRef;
import io.terok.console.api.LogLine;
import io.terok.console.api.TaskDetail;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;

/** One task as its page shows it: runtime's record, clearance's pending prompts, shield's firewall, vault's tokens. */
@ApplicationScoped
public class TaskSource {
    @Inject
    ServiceStubs stubs;

    public static AgentTaskRef ref(String project, String task) {
        return AgentTaskRef.newBuilder().setProject(project).setTask(task).build();
    }

    /** The task itself must exist (404 otherwise); shield, vault and clearance failing only leave a problem line. */
    public TaskDetail read(String project, String task) {
        AgentTask t = stubs.agentTasks().show(ref(project, task));
        List<String> problems = new ArrayList<>();
        int pending = 0;
        try {
            pending = stubs.clearance().listPending(ListPendingRequestsRequest.newBuilder().setTaskId(t.getId()).build()).getRequestsCount();
        } catch (StatusRuntimeException e) {
            problems.add("prompts: " + ServiceErrors.message(e));
        }
        TaskDetail.Firewall firewall = null;
        try {
            ShieldTaskRef ref = ShieldTaskRef.newBuilder().setTaskId(t.getId()).build();
            var status = stubs.shield().status(ref.toBuilder().setCounters(true).build());
            String rules = null;
            try {
                rules = stubs.shield().rules(ref).getRuleset();
            } catch (StatusRuntimeException e) {
                rules = "(no ruleset: " + ServiceErrors.message(e) + ")";
            }
            firewall = TaskDetail.Firewall.of(status, rules);
        } catch (StatusRuntimeException e) {
            problems.add("firewall: " + ServiceErrors.message(e));
        }
        List<TaskDetail.Token> tokens = List.of();
        try {
            tokens = stubs.vault().listTokens(ListTokensRequest.newBuilder().setTaskId(t.getId()).build())
                    .getTokensList().stream().map(TaskDetail.Token::of).toList();
        } catch (StatusRuntimeException e) {
            problems.add("tokens: " + ServiceErrors.message(e));
        }
        return TaskDetail.of(t, pending, firewall, tokens, problems);
    }

    /** Every kept line of the task's output, then the running agent's as it writes them, until it ends or the page goes; last an {@code end} line, so the page does not reconnect. */
    public Multi<LogLine> output(String project, String task) {
        return stubs.agentTaskStreams()
                .logs(AgentTaskLogsRequest.newBuilder().setTask(ref(project, task)).setFollow(true).build())
                .map(LogLine::of)
                .onCompletion().continueWith(new LogLine("end", ""));
    }
}
