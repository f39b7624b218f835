package io.terok.console.api;

import io.terok.api.v1.AgentTaskOutcome;

/**
 * The state a person watching tasks cares about, in the words the pages show. {@code WAITING} is a running task
 * with at least one blocked connection whose Allow/Deny prompt is unanswered: the agent is likely stuck on it.
 */
public enum TaskState {
    RUNNING("running"), WAITING("waiting for a prompt answer"), DONE("done"), FAILED("failed"),
    TIMED_OUT("timed out"), STOPPED("stopped"), UNKNOWN("unknown");

    private final String label;

    TaskState(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The name scripts and style sheets use: {@code running}, {@code waiting}, {@code timed-out} ... */
    public String css() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    public static TaskState of(AgentTaskOutcome outcome, int pendingPrompts) {
        return switch (outcome) {
            case AGENT_TASK_OUTCOME_RUNNING -> pendingPrompts > 0 ? WAITING : RUNNING;
            case AGENT_TASK_OUTCOME_DONE -> DONE;
            case AGENT_TASK_OUTCOME_FAILED -> FAILED;
            case AGENT_TASK_OUTCOME_TIMED_OUT -> TIMED_OUT;
            case AGENT_TASK_OUTCOME_STOPPED -> STOPPED;
            default -> UNKNOWN;
        };
    }
}
