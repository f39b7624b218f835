package io.terok.console.api;

import io.quarkus.qute.TemplateData;
import io.terok.api.v1.AgentTask;
import io.terok.common.Printable;
import io.terok.common.ProtoTime;
import io.terok.common.TaskForwarding;

/**
 * One agent task as the overview shows it. Everything the agent could have chosen (its name when the operator let
 * it, its branch, its answer) is passed through {@link Printable} here and HTML-escaped again by the templates.
 * {@code mode} is the security mode the task runs in; {@code forwardRefusal} is empty when Forward applies to it,
 * else why not ({@link TaskForwarding}, the rule {@code terok task forward} and the console's forward API obey).
 */
@TemplateData
public record TaskSummary(String id, String name, String project, String agent, String branch, String state,
                          String stateLabel, int pendingPrompts, String createdAt, String finishedAt,
                          String containerState, String lastAnswer, int commits, String mode, String forwardRefusal) {

    public static TaskSummary of(AgentTask t, int pending) {
        TaskState s = TaskState.of(t.getOutcome(), pending);
        return new TaskSummary(Printable.line(t.getId(), 64), Printable.line(t.getName()), Printable.line(t.getProject()),
                Printable.line(t.getAgent()), Printable.line(t.getBranch()), s.css(), s.label(), pending,
                t.hasCreatedAt() ? time(t.getCreatedAt()) : "", t.hasFinishedAt() ? time(t.getFinishedAt()) : "",
                Printable.line(t.getContainerState()), Printable.line(t.getLastAnswer(), 400), t.getCommitsCount(),
                TaskForwarding.mode(t.getUpstreamUrl()), TaskForwarding.refusal(t.getName(), t.getBranch(), t.getUpstreamUrl()).orElse(""));
    }

    private static String time(com.google.protobuf.Timestamp ts) {
        return ProtoTime.toInstant(ts).toString();
    }
}
