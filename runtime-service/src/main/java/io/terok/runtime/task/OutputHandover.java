package io.terok.runtime.task;

import io.terok.runtime.podman.OutputSink;
import java.util.Arrays;

/**
 * A task's output handed from podman's follow to one read of its complete log, for a client that waits for the exit
 * code (terok run). podman 4.3 ends a followed log 250-500 ms after the container's exit (it watches its event log, then
 * stops the file's tail at its next poll); when runtime has seen the exit first, the follow is cut and the log, complete
 * by then, is read once more without follow from the byte the follow had got to. podman reads the same log file both
 * ways, so the target gets the output whole, in order and once, and exactly one end.
 */
public final class OutputHandover {
    private final OutputSink target;
    private long passedOn;
    private boolean cut;
    private boolean ended;

    public OutputHandover(OutputSink target) {
        this.target = target;
    }

    /** The sink for podman's follow: everything goes on to the target until {@link #cut}. */
    public OutputSink follow() {
        return new OutputSink() {
            @Override
            public void output(int stream, byte[] data) {
                synchronized (OutputHandover.this) {
                    if (cut) {
                        return;
                    }
                    passedOn += data.length;
                    target.output(stream, data);
                }
            }

            @Override
            public void end(Throwable error) {
                synchronized (OutputHandover.this) {
                    if (cut || ended) {
                        return;
                    }
                    ended = true;
                }
                target.end(error);
            }
        };
    }

    /**
     * Stops the follow from passing anything more on. False when the follow had already ended (its output is whole: no
     * read of the rest is needed); then nothing changes.
     */
    public synchronized boolean cut() {
        if (ended) {
            return false;
        }
        cut = true;
        return true;
    }

    /** The sink for the read of the complete log after {@link #cut}: skips what the follow had passed on. */
    public OutputSink rest() {
        long skip;
        synchronized (this) {
            if (!cut) {
                throw new IllegalStateException("the follow has not been cut");
            }
            skip = passedOn;
        }
        long[] left = {skip};
        return new OutputSink() {
            @Override
            public void output(int stream, byte[] data) {
                int from = (int) Math.min(left[0], data.length);
                left[0] -= from;
                if (from < data.length) {
                    target.output(stream, from == 0 ? data : Arrays.copyOfRange(data, from, data.length));
                }
            }

            @Override
            public void end(Throwable error) {
                synchronized (OutputHandover.this) {
                    if (ended) {
                        return;
                    }
                    ended = true;
                }
                target.end(error);
            }
        };
    }
}
