package io.terok.vault.broker;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Decides which of a task's allowance refusals get their own audit line, so a task that floods the broker (a
 * thousand requests a second past its allowance) costs the audit log a bounded number of lines per window instead
 * of one per request, while every refusal is still accounted for. Per task, within a window (30 s by default):
 * the first refusal is audited in full at once (never held back); the rest are counted, and once the window has
 * ended ({@link #expire}) they become one folded line with their count. State is per task, so one task's flood
 * never folds another task's refusals. Thread-safe (the broker's event loops share it); plain, the clock passed in.
 */
public final class RefusalFolder {
    /** Refusals of a task folded in a window that has ended: how many, and the last one's method and path. */
    public record Folded(String taskId, String tokenId, String provider, String method, String path, long count) {
    }

    private static final class Window {
        final long start;
        long folded;
        String tokenId;
        String provider;
        String method;
        String path;

        Window(long start) {
            this.start = start;
        }
    }

    private final long windowNanos;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    /** Counts of windows replaced by a new one before {@link #expire} saw them. */
    private final Queue<Folded> pending = new ConcurrentLinkedQueue<>();

    public RefusalFolder(long windowNanos) {
        this.windowNanos = windowNanos;
    }

    /**
     * A refusal of the task: true when it is to be audited in full now (the first in its window), false when it was
     * counted into the window's folded line. A refusal after the window ended opens a new one (the old one's count
     * is left for {@link #expire}, so it is reported either way).
     */
    public boolean refused(String taskId, String tokenId, String provider, String method, String path, long nowNanos) {
        boolean[] first = {false};
        windows.compute(taskId, (k, w) -> {
            if (w == null || nowNanos - w.start >= windowNanos) {
                if (w != null && w.folded > 0) {
                    // The ended window's count must not be lost: keep it under a key expire() reports.
                    pending.add(new Folded(taskId, w.tokenId, w.provider, w.method, w.path, w.folded));
                }
                first[0] = true;
                return new Window(nowNanos);
            }
            w.folded++;
            w.tokenId = tokenId;
            w.provider = provider;
            w.method = method;
            w.path = path;
            return w;
        });
        return first[0];
    }

    /** The folded counts of every window that has ended by now (each reported once); such windows are dropped. */
    public List<Folded> expire(long nowNanos) {
        return collect(nowNanos, false);
    }

    /** Every count still open, whatever its window (at shutdown: nothing refused goes unreported). */
    public List<Folded> drain() {
        return collect(0, true);
    }

    private List<Folded> collect(long nowNanos, boolean all) {
        List<Folded> out = new ArrayList<>();
        for (Folded f; (f = pending.poll()) != null; ) {
            out.add(f);
        }
        for (Iterator<String> it = windows.keySet().iterator(); it.hasNext(); ) {
            String task = it.next();
            windows.computeIfPresent(task, (k, w) -> {
                if (!all && nowNanos - w.start < windowNanos) {
                    return w;
                }
                if (w.folded > 0) {
                    out.add(new Folded(k, w.tokenId, w.provider, w.method, w.path, w.folded));
                }
                return null;
            });
        }
        return out;
    }
}
