package io.terok.clearance.domain;

import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The operator-in-the-loop state: blocked connections become pending requests, and a verdict is accepted
 * only for a request clearance itself issued, for that same task and destination. Plain Java: the desktop,
 * terminal and gRPC front ends all go through here.
 */
public final class Clearance {
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Clearance.class.getName());
    /** Default cap of one task's pending requests. */
    public static final int DEFAULT_MAX_PENDING_PER_TASK = 20;

    private final FirewallControl firewall;
    private final Clock clock;
    private final int maxPendingPerTask;
    /** Per task: new destinations refused by the cap since the task last had room (for the log line). */
    private final Map<String, Integer> overflow = new LinkedHashMap<>();
    private final Map<String, PendingRequest> byId = new LinkedHashMap<>();
    private final Map<String, String> idByKey = new LinkedHashMap<>();
    private final Map<String, TaskInfo> tasks = new LinkedHashMap<>();
    private final List<ClearanceListener> listeners = new CopyOnWriteArrayList<>();

    record TaskInfo(String name, String project) {
    }

    public Clearance(FirewallControl firewall, Clock clock) {
        this(firewall, clock, DEFAULT_MAX_PENDING_PER_TASK);
    }

    /**
     * @param maxPendingPerTask a task with this many pending requests raises no new one (its further blocked
     *                          destinations stay blocked, counted in the log); repeats of a pending one still count
     */
    public Clearance(FirewallControl firewall, Clock clock, int maxPendingPerTask) {
        if (maxPendingPerTask < 1) {
            throw new IllegalArgumentException("max pending per task " + maxPendingPerTask + ": at least 1");
        }
        this.firewall = firewall;
        this.clock = clock;
        this.maxPendingPerTask = maxPendingPerTask;
    }

    public void addListener(ClearanceListener l) {
        listeners.add(l);
    }

    public void removeListener(ClearanceListener l) {
        listeners.remove(l);
    }

    /** New destinations of the task the cap kept from raising a request since it last had room. */
    public synchronized int overflow(String taskId) {
        return overflow.getOrDefault(taskId, 0);
    }

    /** @throws ServiceException INVALID unless {@code taskId} is a task id */
    public synchronized void registerTask(String taskId, String name, String project) {
        tasks.put(Ids.taskId("task_id", taskId), new TaskInfo(name, project));
    }

    /** The task was removed: forget it and drop its pending requests. */
    public int unregisterTask(String taskId, String why) {
        Ids.taskId("task_id", taskId);
        synchronized (this) {
            tasks.remove(taskId);
        }
        return dropPending(taskId, why);
    }

    /** The task stopped or its shield went down: its pending requests can no longer be answered. */
    public int dropPending(String taskId, String why) {
        List<PendingRequest> dropped = new ArrayList<>();
        synchronized (this) {
            overflow.remove(taskId);
            for (PendingRequest r : List.copyOf(byId.values())) {
                if (r.taskId().equals(taskId)) {
                    forget(r);
                    dropped.add(r);
                }
            }
        }
        for (PendingRequest r : dropped) {
            Outcome o = new Outcome(r.id(), Outcome.Kind.DROPPED, why);
            listeners.forEach(l -> l.resolved(r, o));
        }
        return dropped.size();
    }

    /**
     * A connection shield blocked: raises a request, or counts a repeat of a pending one (same task and destination:
     * one request). Returns null when the task already has its cap of pending requests: the connection stays blocked
     * and no request (and no notification) is raised for it.
     */
    public PendingRequest blocked(String taskId, Destination dst, String domain, int count) {
        PendingRequest r;
        synchronized (this) {
            String key = key(taskId, dst);
            String existing = idByKey.get(key);
            if (existing != null) {
                r = byId.get(existing).seenAgain(Math.max(1, count), clock.instant(), domain == null ? "" : domain);
            } else if (byId.values().stream().filter(p -> p.taskId().equals(taskId)).count() >= maxPendingPerTask) {
                int n = overflow.merge(taskId, 1, Integer::sum);
                if (n == 1 || n % 1000 == 0) {
                    LOG.warning("task " + Printable.line(taskId, 40) + " has " + maxPendingPerTask + " pending requests: "
                            + n + " more blocked destination(s) raised none (they stay blocked; answer or drop the pending ones)");
                }
                return null;
            } else {
                overflow.remove(taskId);
                TaskInfo info = tasks.getOrDefault(taskId, new TaskInfo("", ""));
                r = new PendingRequest(newId(), taskId, info.name(), info.project(), dst, domain == null ? "" : domain,
                        Math.max(1, count), clock.instant(), clock.instant());
                idByKey.put(key, r.id());
            }
            byId.put(r.id(), r);
        }
        PendingRequest raised = r;
        listeners.forEach(l -> l.requested(raised));
        return r;
    }

    public synchronized List<PendingRequest> pending(String taskId) {
        return byId.values().stream().filter(r -> taskId == null || taskId.isEmpty() || r.taskId().equals(taskId)).toList();
    }

    public synchronized Optional<PendingRequest> find(String requestId) {
        return Optional.ofNullable(byId.get(requestId));
    }

    /**
     * Applies the operator's decision. The request must be one clearance issued and still pending, and the
     * caller must name the same task and destination: a verdict is never a way to open an arbitrary hole.
     *
     * @throws ServiceException DENIED for a verdict on anything else (nothing is changed then)
     */
    public Outcome verdict(String requestId, String taskId, String ip, int port, Decision decision) {
        Ids.taskId("task_id", taskId);
        PendingRequest r;
        synchronized (this) {
            r = byId.get(requestId);
            if (r == null) {
                throw ServiceException.denied("request_id: no pending request '" + printable(requestId)
                        + "' (already decided, dropped, or never issued)");
            }
            if (!r.taskId().equals(taskId)) {
                throw ServiceException.denied("task_id: request " + requestId + " belongs to another task");
            }
            if (!r.destination().ip().equals(ip) || r.destination().port() != port) {
                throw ServiceException.denied("destination: request " + requestId + " is for " + r.destination()
                        + ", not " + printable(ip) + ":" + port);
            }
            forget(r);
        }
        Outcome o;
        try {
            if (decision == Decision.ALLOW) {
                firewall.allow(taskId, r.destination().ip(), r.destination().port(), r.destination().protocol());
                o = new Outcome(r.id(), Outcome.Kind.ALLOWED, "allowed " + r.destination());
            } else {
                firewall.deny(taskId, r.destination().ip());
                o = new Outcome(r.id(), Outcome.Kind.DENIED, "denied " + r.destination().ip());
            }
        } catch (RuntimeException e) {
            o = new Outcome(r.id(), Outcome.Kind.FAILED, "shield could not apply the verdict: " + e.getMessage());
        }
        Outcome done = o;
        listeners.forEach(l -> l.resolved(r, done));
        return o;
    }

    private void forget(PendingRequest r) {
        byId.remove(r.id());
        idByKey.remove(key(r.taskId(), r.destination()));
    }

    private static String key(String taskId, Destination d) {
        return taskId + "|" + d.ip() + "|" + d.port() + "|" + d.protocol();
    }

    private static String newId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Caller-supplied text in an error: no control characters, bounded length. */
    private static String printable(String s) {
        return Printable.line(s, 80);
    }
}
