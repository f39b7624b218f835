package io.terok.vault.broker;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-task admission to the broker, so one task cannot starve the others: every task's phantom tokens share one real
 * key (its upstream rate limit), the broker's upstream connections and the machine's CPU. Two bounds per task: a
 * token bucket (a sustained rate of requests a second with a burst) and the number of requests it may have in flight
 * at once. A request past either is refused before any upstream is asked (HTTP 429 with Retry-After), which costs the
 * broker far less than relaying it. Keyed by task id, never by token: a task holding several phantom tokens gets one
 * allowance. The clock is passed in (nanoseconds), so the policy is tested without waiting.
 * <p>
 * A refusal also says how to answer it. A task that keeps sending past its allowance over keep-alive connections
 * would make the broker answer a refusal as fast as it can send (a third of a core for a thousand a second, measured):
 * so a refusal is <em>held</em> (its answer delayed, the connection's next request with it) for {@link #HOLD_NANOS}, the
 * Retry-After it carries, which a client that obeys Retry-After waits anyway; each connection of the task then costs
 * the broker about one refusal a second. Past {@link #maxHeld()} held refusals of one task (a task opening ever more
 * connections) the next {@link #maxParked()} are <em>parked</em>: no answer, nothing more read, the connection closed
 * without an answer some seconds later in one sweep; a client that waits for its answer (every HTTP client does) opens
 * no new connection meanwhile, so a flood over a new connection per request (which answering 429 with
 * {@code Connection: close} fed: accepting, relaying through slirp4netns and parsing each new connection) stalls at a
 * few hundred sockets. Past that bound too a refusal's connection is closed at once, unanswered. Holding and parking
 * cost a bounded number of sockets per task.
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

    /** How a refusal is answered. */
    public enum Answer {
        /** 429 after {@link #HOLD_NANOS}; call {@link #unhold} once when answered or gone. */
        HELD,
        /** No answer and nothing more read; the connection closed later; call {@link #unpark} once when closed. */
        PARKED,
        /** The connection closed at once, unanswered. */
        CLOSED
    }

    /**
     * Refused: why (for the task's error message), how many whole seconds until it may try again, and how it is
     * answered.
     */
    public record Refusal(String reason, long retryAfterSeconds, Answer answer) implements Admission {
        public boolean held() {
            return answer == Answer.HELD;
        }
    }

    /** How long a refusal's answer is held: its Retry-After (at least one second). */
    public static final long HOLD_NANOS = 1_000_000_000L;

    private static final class Bucket {
        double tokens;
        long refilledAt;
        int inFlight;
        int held;
        int parked;
    }

    private final Limits limits;
    private final String rateReason;
    private final String inFlightReason;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public TaskRequestLimiter(Limits limits) {
        if (limits.requestsPerSecond() > 0 && limits.burst() < 1) {
            throw new IllegalArgumentException("terok.vault.task-request-burst must be at least 1 when a rate is set, got "
                    + limits.burst());
        }
        this.limits = limits;
        // Built once: a refusal is the flood's path, it should allocate next to nothing.
        this.rateReason = "this task sent more than " + fmt(limits.requestsPerSecond()) + " requests a second through the broker (burst "
                + limits.burst() + "); slow down";
        this.inFlightReason = "this task already has " + limits.maxInFlight() + " requests in flight through the broker (at most "
                + limits.maxInFlight() + "); wait for one to finish";
    }

    /** Refusals of one task held at once before the next ones are answered at once and their connections closed. */
    public int maxHeld() {
        return Math.max(64, 2 * limits.maxInFlight());
    }

    /** Connections of one task parked at once (past its held refusals) before the next are closed at once. */
    public int maxParked() {
        return 4 * maxHeld();
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
                return refuse(b, inFlightReason, 1);
            }
            if (limits.requestsPerSecond() > 0) {
                double elapsed = Math.max(0, nowNanos - b.refilledAt) / 1e9;
                b.tokens = Math.min(limits.burst(), b.tokens + elapsed * limits.requestsPerSecond());
                b.refilledAt = Math.max(b.refilledAt, nowNanos);
                if (b.tokens < 1) {
                    return refuse(b, rateReason, Math.max(1, (long) Math.ceil((1 - b.tokens) / limits.requestsPerSecond())));
                }
                b.tokens -= 1;
            }
            b.inFlight++;
            return new Permit(b);
        }
    }

    /** Called with the bucket's lock held. */
    private Refusal refuse(Bucket b, String reason, long retryAfter) {
        if (b.held < maxHeld()) {
            b.held++;
            return new Refusal(reason, retryAfter, Answer.HELD);
        }
        if (b.parked < maxParked()) {
            b.parked++;
            return new Refusal(reason, retryAfter, Answer.PARKED);
        }
        return new Refusal(reason, retryAfter, Answer.CLOSED);
    }

    /** A parked connection was closed (by the sweep or its task): one more may be parked. */
    public void unpark(String taskId) {
        Bucket b = buckets.get(taskId);
        if (b != null) {
            synchronized (b) {
                if (b.parked > 0) {
                    b.parked--;
                }
            }
        }
    }

    /** Connections of the task parked right now (for tests). */
    int parked(String taskId) {
        Bucket b = buckets.get(taskId);
        if (b == null) {
            return 0;
        }
        synchronized (b) {
            return b.parked;
        }
    }

    /** A held refusal was answered (or its connection went away): one more may be held. */
    public void unhold(String taskId) {
        Bucket b = buckets.get(taskId);
        if (b != null) {
            synchronized (b) {
                if (b.held > 0) {
                    b.held--;
                }
            }
        }
    }

    /** Refusals of the task held right now (for tests). */
    int held(String taskId) {
        Bucket b = buckets.get(taskId);
        if (b == null) {
            return 0;
        }
        synchronized (b) {
            return b.held;
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
