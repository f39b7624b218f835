package io.terok.clearance;

import org.jboss.logging.Logger;

/**
 * Keeps one server stream from another terok service followed: runs a session, and when it ends or fails
 * (the service restarted, is not up yet) waits a growing pause and starts again, until closed.
 */
public final class StreamFollower implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StreamFollower.class);
    private final long firstPauseMs;
    private final long longestPauseMs;

    /** One session: returns when the stream ends, throws when it fails. */
    public interface Session {
        void run() throws Exception;
    }

    private volatile Thread thread;

    /** Pauses of 200 ms growing to 5 s: quick after a restart, quiet while a service stays down. */
    public StreamFollower() {
        this(200, 5_000);
    }

    public StreamFollower(long firstPauseMs, long longestPauseMs) {
        this.firstPauseMs = firstPauseMs;
        this.longestPauseMs = longestPauseMs;
    }

    public void start(String name, Session session) {
        Thread t = new Thread(() -> loop(name, session), name);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void loop(String name, Session session) {
        long pause = firstPauseMs;
        while (thread == Thread.currentThread()) {
            long started = System.nanoTime();
            try {
                session.run();
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                LOG.debugf("%s: %s", name, e.getMessage());
            }
            // A session that ran for a while was healthy: reconnect quickly after it ends.
            if (System.nanoTime() - started > 10_000_000_000L) {
                pause = firstPauseMs;
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
            pause = Math.min(pause * 2, longestPauseMs);
        }
    }

    @Override
    public void close() {
        Thread t = thread;
        thread = null;
        if (t != null) {
            t.interrupt();
        }
    }
}
