package io.terok.console.api;

import io.terok.api.v1.AgentTaskEvent;
import io.terok.common.Printable;

/**
 * One line of a task's live output as the page gets it: {@code kind} is {@code output} (the agent's),
 * {@code progress} (terok's) or {@code summary} (how the run ended), {@code end} (the stream is over). Control characters are shown visibly
 * ({@link Printable#lines}); the page puts the text in with textContent.
 */
public record LogLine(String kind, String text) {
    public static LogLine of(AgentTaskEvent e) {
        return switch (e.getEventCase()) {
            case OUTPUT -> new LogLine("output", Printable.lines(e.getOutput()));
            case PROGRESS -> new LogLine("progress", Printable.lines(e.getProgress()));
            case SUMMARY -> new LogLine("summary", TaskState.of(e.getSummary().getOutcome(), 0).label()
                    + (e.getSummary().getExitCode() != 0 ? " (exit " + e.getSummary().getExitCode() + ")" : ""));
            default -> new LogLine("progress", "");
        };
    }
}
