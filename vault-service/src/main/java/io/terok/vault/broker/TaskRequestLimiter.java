package io.terok.vault.broker;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-task admission to the broker, so one task cannot starve the others: every task's phantom tokens share one real
 * key (its upstream rate limit), the broker's upstream connections and the machine's CPU. Two bounds per task: a
 * token bucket (a sustained rate of requests a second with a burst) and the number of requests it may have in flight
 * at once. A request past either is refused before any upstream is asked (HTTP 429 with Retry-After), which costs the
 * broker far less than relaying it. Keyed by task id, never by token: a task holding several phantom tokens gets one
 * allowance. The clock is passed in (nanoseconds), so the policy is tested without waiting.
 */
public final class TaskRequestLimiter {
    /** Admission settings; a rate or in-flight cap of 0 or less switches that bound off. */
    public record Limits(double requestsPerSecond, int burst, int maxInFlight) {
    }

    /** The answer: a permit to release when the exchange ends, or a refusal with the seconds to wait. */
    public sealed interface Admission permits Permit, Refusal {
    }

    /** Admitted; {@link #release()} once the exchange is over (idempotent). */
    public static final class Permit implements Admission {
        private final Bucket bucket;
        private boolean released;

        private Permit(Bucket bucket) {
            this.bucket = bucket;
        }

        public void release() {
            synchronized (bucket) {
                if (!released) {
                    released = true;
                    bucket.inFlight--;
                }
            }
        }
    }

    /** Refused: why (for the task's error message) and how many whole seconds until it may try again. */
    public record Refusal(String reason, long retryAfterSeconds) implements Admission {
    }

    private static final class Bucket {
        double tokens;
        long refilledAt;
        int inFlight;
    }

    private final Limits limits;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public TaskRequestLimiter(Limits limits) {
        if (limits.requestsPerSecond() > 0 && limits.burst() < 1) {
            throw new IllegalArgumentException("terok.vault.task-request-burst must be at least 1 when a rate is set, got "
                    + limits.burst());
        }
        this.limits = limits;
    }

    public Admission admit(String taskId, long nowNanos) {
        Bucket b = buckets.computeIfAbsent(taskId, k -> {
            Bucket fresh = new Bucket();
            fresh.tokens = limits.burst();
            fresh.refilledAt = nowNanos;
            return fresh;
        });
        synchronized (b) {
            if (limits.maxInFlight() > 0 && b.inFlight >= limits.maxInFlight()) {
                return new Refusal("this task already has " + b.inFlight + " requests in flight through the broker (at most "
                        + limits.maxInFlight() + "); wait for one to finish", 1);
            }
            if (limits.requestsPerSecond() > 0) {
                double elapsed = Math.max(0, nowNanos - b.refilledAt) / 1e9;
                b.tokens = Math.min(limits.burst(), b.tokens + elapsed * limits.requestsPerSecond());
                b.refilledAt = Math.max(b.refilledAt, nowNanos);
                if (b.tokens < 1) {
                    long wait = (long) Math.ceil((1 - b.tokens) / limits.requestsPerSecond());
                    return new Refusal("this task sent more than " + fmt(limits.requestsPerSecond())
                            + " requests a second through the broker (burst " + limits.burst() + "); slow down", Math.max(1, wait));
                }
                b.tokens -= 1;
            }
            b.inFlight++;
            return new Permit(b);
        }
    }

    /** Forgets a task's allowance (its tokens were revoked); a request still in flight releases into a dropped bucket. */
    public void forget(String taskId) {
        buckets.remove(taskId);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
