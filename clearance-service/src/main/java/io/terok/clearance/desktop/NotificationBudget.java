package io.terok.clearance.desktop;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * How many desktop notifications (new prompts and updates of one) a task may cause per window: a task that floods
 * blocked connections must not flood the operator's desktop with critical notifications. What the budget holds back
 * stays pending, in {@code terok clearance} and the gRPC API.
 */
public final class NotificationBudget {
    /** Default: 6 notifications per task per minute. */
    public static final int DEFAULT_PER_WINDOW = 6;
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);

    private final int perWindow;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Deque<Instant>> recent = new HashMap<>();

    public NotificationBudget(int perWindow, Duration window, Clock clock) {
        if (perWindow < 1 || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("notification budget " + perWindow + " per " + window);
        }
        this.perWindow = perWindow;
        this.window = window;
        this.clock = clock;
    }

    /** True (and counted) when the task may show one more notification now. */
    public synchronized boolean take(String taskId) {
        Instant now = clock.instant();
        Deque<Instant> q = recent.computeIfAbsent(taskId, k -> new ArrayDeque<>());
        while (!q.isEmpty() && Duration.between(q.peekFirst(), now).compareTo(window) >= 0) {
            q.removeFirst();
        }
        if (q.size() >= perWindow) {
            return false;
        }
        q.addLast(now);
        return true;
    }

    /** Forgets a task (it was removed). */
    public synchronized void forget(String taskId) {
        recent.remove(taskId);
    }
}
