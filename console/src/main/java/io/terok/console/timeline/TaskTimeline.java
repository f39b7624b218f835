package io.terok.console.timeline;

import io.terok.console.timeline.TimelineEntry.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One task's timeline: what its four witnesses saw, in order, with each effect linked to its cause:
 * a blocked connection → the prompt clearance raised for it → the verdict → the first packet through.
 *
 * <p>The services stamp their events with their own clocks at different hops (shield when it read the packet,
 * clearance when it raised the prompt, the console when the verdict reached it), so links allow {@link #SKEW} of
 * disorder, and an effect is never shown before its cause: its place is at least its cause's.
 *
 * <p>Thread-safe. Bounded: past {@link #MAX_ENTRIES} the oldest entries go (an agent that hammers blocked hosts must
 * not grow the console without bound; shield already folds repeats into counts).
 */
public final class TaskTimeline {
    public static final int MAX_ENTRIES = 2000;
    /** How far apart two services' stamps of causally linked events may be. */
    public static final Duration SKEW = Duration.ofSeconds(2);
    /** The same shield event seen in the audit history and on the live stream is stamped this close. */
    static final Duration SAME_EVENT = Duration.ofSeconds(1);

    /** An entry with its links, in display order. */
    public record Item(TimelineEntry entry, String causeId, List<String> effectIds, String target) {
    }

    private final String taskId;
    private final LinkedHashMap<String, TimelineEntry> byId = new LinkedHashMap<>();

    public TaskTimeline(String taskId) {
        this.taskId = taskId;
    }

    public String taskId() {
        return taskId;
    }

    /**
     * Adds an entry unless it is already there (same id, or the same shield event from its other source).
     * Returns whether it was added.
     */
    public synchronized boolean add(TimelineEntry e) {
        if (!e.taskId().equals(taskId)) {
            throw new IllegalArgumentException("entry of task " + e.taskId() + " added to the timeline of " + taskId);
        }
        if (byId.containsKey(e.id()) || sameShieldEvent(e)) {
            return false;
        }
        byId.put(e.id(), e);
        if (byId.size() > MAX_ENTRIES) {
            byId.values().stream().min(ORDER).ifPresent(oldest -> byId.remove(oldest.id()));
        }
        return true;
    }

    /** Shield reports a block or a first packet twice: in its audit log (history) and on its stream (live). */
    private boolean sameShieldEvent(TimelineEntry e) {
        if (e.kind() != Kind.BLOCKED && e.kind() != Kind.PASSED) {
            return false;
        }
        return byId.values().stream().anyMatch(x -> x.kind() == e.kind() && x.target().equals(e.target())
                && Duration.between(x.time(), e.time()).abs().compareTo(SAME_EVENT) < 0);
    }

    public synchronized int size() {
        return byId.size();
    }

    /** Tie-break for equal stamps: the order in which such events cause one another. */
    private static final Comparator<TimelineEntry> ORDER = Comparator.comparing(TimelineEntry::time)
            .thenComparing(e -> rank(e.kind()))
            .thenComparing(TimelineEntry::id);

    private static int rank(Kind k) {
        return switch (k) {
            case BLOCKED -> 0;
            case PROMPT -> 1;
            case VERDICT -> 2;
            case FIREWALL -> 3;
            case PASSED -> 4;
            default -> 5;
        };
    }

    /** Every entry with its cause and effects, causes before effects, otherwise by time. */
    public synchronized List<Item> items() {
        List<TimelineEntry> sorted = new ArrayList<>(byId.values());
        sorted.sort(ORDER);
        Map<String, String> cause = link(sorted);
        Map<String, String> target = new HashMap<>();
        Map<String, List<String>> effects = new HashMap<>();
        for (TimelineEntry e : sorted) {
            String c = cause.get(e.id());
            if (c != null) {
                effects.computeIfAbsent(c, k -> new ArrayList<>()).add(e.id());
            }
        }
        // a verdict is about its prompt's connection; place each effect no earlier than its cause
        Map<String, Instant> place = new HashMap<>();
        for (TimelineEntry e : sorted) {
            place.put(e.id(), place(e, cause));
            String c = cause.get(e.id());
            target.put(e.id(), e.hasTarget() || c == null ? e.target() : byId.get(c).target());
        }
        List<TimelineEntry> shown = new ArrayList<>(sorted);
        // stable: entries keep their ORDER among equal places, and an effect moved up to its cause comes after it
        shown.sort(Comparator.comparing((TimelineEntry e) -> place.get(e.id())).thenComparing(e -> depth(e, cause)));
        List<Item> out = new ArrayList<>(shown.size());
        for (TimelineEntry e : shown) {
            out.add(new Item(e, cause.get(e.id()), List.copyOf(effects.getOrDefault(e.id(), List.of())), target.get(e.id())));
        }
        return Collections.unmodifiableList(out);
    }

    /** The later of an entry's own time and its causes' (links go back a few steps at most). */
    private Instant place(TimelineEntry e, Map<String, String> cause) {
        Instant at = e.time();
        int steps = 0;
        for (String c = cause.get(e.id()); c != null && steps < 8; c = cause.get(c), steps++) {
            Instant t = byId.get(c).time();
            if (t.isAfter(at)) {
                at = t;
            }
        }
        return at;
    }

    private static int depth(TimelineEntry e, Map<String, String> cause) {
        int d = 0;
        for (String c = cause.get(e.id()); c != null && d < 8; c = cause.get(c)) {
            d++;
        }
        return d;
    }

    /** The chain of causes that ends at {@code id}, first cause first (just the entry when it has none). */
    public synchronized List<TimelineEntry> chain(String id) {
        List<TimelineEntry> sorted = new ArrayList<>(byId.values());
        sorted.sort(ORDER);
        Map<String, String> cause = link(sorted);
        List<TimelineEntry> out = new ArrayList<>();
        for (String c = id; c != null && byId.containsKey(c) && out.size() < 8; c = cause.get(c)) {
            out.add(0, byId.get(c));
        }
        return out;
    }

    public synchronized Optional<TimelineEntry> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /**
     * The links, as cause id by effect id.
     * <ul>
     *   <li>PROMPT ← the latest BLOCKED of the same connection up to {@link #SKEW} after the prompt (clearance raises
     *       its prompt on shield's event, so the block comes first save clock disorder);</li>
     *   <li>VERDICT ← the PROMPT with its request id (exact: clearance answers only requests it issued);</li>
     *   <li>PASSED ← the latest ALLOWED verdict of the same connection up to {@link #SKEW} after the packet (shield
     *       opens the port before clearance reports the verdict, so the packet may be stamped first), each verdict at
     *       most one first packet (shield logs one per Allow).</li>
     * </ul>
     */
    private static Map<String, String> link(List<TimelineEntry> sorted) {
        Map<String, String> cause = new HashMap<>();
        Map<String, TimelineEntry> prompts = new HashMap<>();
        Map<String, String> promptTarget = new HashMap<>();
        for (TimelineEntry e : sorted) {
            if (e.kind() == Kind.PROMPT) {
                prompts.put(e.requestId(), e);
                promptTarget.put(e.id(), e.target());
                TimelineEntry best = null;
                for (TimelineEntry b : sorted) {
                    if (b.kind() == Kind.BLOCKED && b.target().equals(e.target())
                            && !b.time().isAfter(e.time().plus(SKEW))
                            && (best == null || b.time().isAfter(best.time()))) {
                        best = b;
                    }
                }
                if (best != null) {
                    cause.put(e.id(), best.id());
                }
            }
        }
        List<TimelineEntry> allowed = new ArrayList<>();
        Map<String, String> verdictTarget = new HashMap<>();
        for (TimelineEntry e : sorted) {
            if (e.kind() == Kind.VERDICT && !e.requestId().isEmpty() && prompts.containsKey(e.requestId())) {
                TimelineEntry p = prompts.get(e.requestId());
                cause.put(e.id(), p.id());
                verdictTarget.put(e.id(), p.target());
                if ("ALLOWED".equals(e.outcome())) {
                    allowed.add(e);
                }
            }
        }
        Set<String> used = new HashSet<>();
        for (TimelineEntry e : sorted) {
            if (e.kind() != Kind.PASSED) {
                continue;
            }
            TimelineEntry best = null;
            for (TimelineEntry v : allowed) {
                if (!used.contains(v.id()) && verdictTarget.get(v.id()).equals(e.target())
                        && !v.time().isAfter(e.time().plus(SKEW))
                        && (best == null || v.time().isAfter(best.time()))) {
                    best = v;
                }
            }
            if (best != null) {
                used.add(best.id());
                cause.put(e.id(), best.id());
            }
        }
        return cause;
    }
}
