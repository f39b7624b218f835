package io.terok.runtime.trace;

import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Where the time of one operation (a launch, an agent task's start, a removal) goes: each step's milliseconds, logged
 * as one line at debug under {@code io.terok.runtime.timing} when the operation ends. Off by default; the embedded
 * services turn it on with {@code TEROK_LOG_TIMING=DEBUG} (docs/benchmarks.md profiles with it). Steps may be marked
 * from several threads (the launch wires services in parallel).
 */
public final class StepTimes {
    private static final Logger LOG = Logger.getLogger("io.terok.runtime.timing");

    private final String what;
    private final long start = System.nanoTime();
    private final List<String> steps = new ArrayList<>();
    private long last = start;

    private StepTimes(String what) {
        this.what = what;
    }

    public static StepTimes start(String what) {
        return new StepTimes(what);
    }

    /** Ends the step running since the previous mark (or the start). */
    public synchronized void mark(String step) {
        long now = System.nanoTime();
        steps.add(step + " " + (now - last) / 1_000_000 + " ms");
        last = now;
    }

    /** A step timed on its own, e.g. on another thread: its duration since {@code startNanos}, not since the last mark. */
    public synchronized void took(String step, long startNanos) {
        steps.add(step + " " + (System.nanoTime() - startNanos) / 1_000_000 + " ms");
    }

    public void done() {
        if (LOG.isDebugEnabled()) {
            synchronized (this) {
                LOG.debugf("%s: %s; total %d ms", what, String.join(", ", steps), (System.nanoTime() - start) / 1_000_000);
            }
        }
    }
}
