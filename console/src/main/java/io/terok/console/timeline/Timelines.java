package io.terok.console.timeline;

import io.terok.api.v1.VerdictResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Every task's timeline, fed by the services' streams and histories. It routes a verdict (which names only its
 * request) to the task whose prompt it answers, and tells listeners (the pages' live updates) about each new entry.
 */
public final class Timelines {
    private final Map<String, TaskTimeline> byTask = new ConcurrentHashMap<>();
    private final Map<String, String> taskOfRequest = new ConcurrentHashMap<>();
    private final List<Consumer<TimelineEntry>> listeners = new CopyOnWriteArrayList<>();

    public TaskTimeline of(String taskId) {
        return byTask.computeIfAbsent(taskId, TaskTimeline::new);
    }

    /** Adds the entry to its task's timeline; listeners hear of it when it was new. Returns whether it was. */
    public boolean add(TimelineEntry e) {
        if (e.kind() == TimelineEntry.Kind.PROMPT) {
            taskOfRequest.put(e.requestId(), e.taskId());
        }
        boolean added = of(e.taskId()).add(e);
        if (added) {
            for (Consumer<TimelineEntry> l : listeners) {
                try {
                    l.accept(e);
                } catch (RuntimeException ex) {
                    listeners.remove(l);   // a page that went away
                }
            }
        }
        return added;
    }

    /** The task a prompt with this request id was raised for, when the console saw the prompt. */
    public Optional<String> taskOfRequest(String requestId) {
        return Optional.ofNullable(taskOfRequest.get(requestId));
    }

    /**
     * Adds clearance's verdict to the timeline of the task whose prompt it answers; empty when the console never saw
     * that prompt (a verdict cannot be placed without it).
     */
    public Optional<TimelineEntry> verdict(VerdictResponse v, Instant received) {
        return taskOfRequest(v.getRequestId()).map(task -> {
            TimelineEntry e = TimelineEvents.fromVerdict(task, v, received);
            add(e);
            return e;
        });
    }

    /** Hears every new entry of every task until the returned handle is closed. */
    public AutoCloseable listen(Consumer<TimelineEntry> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Drops a deleted task's timeline. */
    public void forget(String taskId) {
        byTask.remove(taskId);
        taskOfRequest.values().removeIf(taskId::equals);
    }
}
