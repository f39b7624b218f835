package io.terok.vault.broker;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * One JSON line per broker request in {@code <data dir>/vault/audit.jsonl} (0600): time, task, token id, provider,
 * method, path (without the query), status, outcome, duration. Never bodies, headers or secrets. Lines are appended
 * by one background thread so a slow disk never holds up a proxied request; a failing write is logged, not fatal.
 * Lines are appended in the order {@link #record} was called (the broker records when a request ends).
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AuditLog.class);

    public record Entry(Instant time, String taskId, String tokenId, String provider, String method, String path, int status,
                        String outcome, long durationMs) {
        JsonObject json() {
            return new JsonObject().put("time", time.toString()).put("task", taskId).put("token", tokenId).put("provider", provider)
                    .put("method", method).put("path", path).put("status", status).put("outcome", outcome)
                    .put("duration_ms", durationMs);
        }

        static Entry parse(String line) {
            JsonObject j = new JsonObject(line);
            return new Entry(Instant.parse(j.getString("time")), j.getString("task", ""), j.getString("token", ""),
                    j.getString("provider", ""), j.getString("method", ""), j.getString("path", ""), j.getInteger("status", 0),
                    j.getString("outcome", ""), j.getLong("duration_ms", 0L));
        }
    }

    private final Path file;
    /**
     * Entries and writer-thread tasks (flush, follow, close), in order. The event loop only enqueues: encoding and
     * the write happen on the writer thread, which drains whatever has queued up and appends it with one write, so
     * a busy broker wakes the writer (a futex and a context switch each) far less often than once per request.
     */
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private FileChannel channel;
    private volatile boolean closed;

    private record Follower(Predicate<Entry> filter, Consumer<Entry> sink) {
    }

    /** Followers get each new entry on the writer thread, right after it is written; only ever changed on that thread. */
    private final List<Follower> followers = new CopyOnWriteArrayList<>();

    private static final Object STOP = new Object();
    private static final int BATCH = 512;

    public AuditLog(Path file) {
        this.file = file;
        this.writer = new Thread(this::run, "vault-audit");
        writer.setDaemon(true);
        writer.start();
    }

    public Path file() {
        return file;
    }

    public void record(Entry e) {
        if (!closed) {
            queue.add(e);
        }
    }

    private void run() {
        List<Object> batch = new ArrayList<>(BATCH);
        List<Entry> written = new ArrayList<>(BATCH);
        StringBuilder lines = new StringBuilder();
        while (true) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch, BATCH - 1);
            for (Object o : batch) {
                if (o instanceof Entry e) {
                    lines.append(e.json().encode()).append('\n');
                    written.add(e);
                    continue;
                }
                append(lines, written);
                if (o == STOP) {
                    return;
                }
                ((FutureTask<?>) o).run();
            }
            append(lines, written);
            batch.clear();
        }
    }

    /** Writes the pending lines with one call, then hands their entries to the followers. */
    private void append(StringBuilder lines, List<Entry> entries) {
        if (lines.length() == 0) {
            return;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
            FileChannel c = channel();
            while (b.hasRemaining()) {
                c.write(b);
            }
        } catch (IOException ex) {
            LOG.warnf("cannot append to %s: %s", file, ex.getMessage());
        }
        lines.setLength(0);
        for (Entry e : entries) {
            for (Follower f : followers) {
                if (f.filter.test(e)) {
                    f.sink.accept(e);
                }
            }
        }
        entries.clear();
    }

    /** Runs {@code task} on the writer thread, after every entry recorded before it is written. */
    private <T> T onWriter(java.util.concurrent.Callable<T> task, long seconds) throws ExecutionException, InterruptedException,
            java.util.concurrent.TimeoutException {
        FutureTask<T> f = new FutureTask<>(task);
        if (!writer.isAlive()) {
            throw new ExecutionException(new IllegalStateException("the audit log is closed"));
        }
        queue.add(f);
        return f.get(seconds, TimeUnit.SECONDS);
    }

    private FileChannel channel() throws IOException {
        if (channel == null) {
            Path dir = file.getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        return channel;
    }

    /** Waits until every line recorded so far is written. */
    public void flush() {
        try {
            onWriter(() -> null, 10);
        } catch (Exception e) {
            LOG.warnf("audit flush: %s", e.getMessage());
        }
    }

    /** The entries that match, oldest first; unreadable lines are skipped. */
    public List<Entry> read(Predicate<Entry> filter) {
        flush();
        return readFile(filter);
    }

    /**
     * The matching entries written so far, then every new matching one, each exactly once and in order: the file is
     * read and the follower registered on the writer thread, between two appends. {@code sink} runs on the writer
     * thread and must not block (queue the entry). Close the returned handle to stop.
     */
    public AutoCloseable follow(Predicate<Entry> filter, Consumer<Entry> sink) {
        Follower f = new Follower(filter, sink);
        try {
            onWriter(() -> {
                readFile(filter).forEach(sink);
                followers.add(f);
                return null;
            }, 30);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the audit writer did not answer within 30 s");
        }
        return () -> followers.remove(f);
    }

    public boolean closed() {
        return closed;
    }

    private List<Entry> readFile(Predicate<Entry> filter) {
        List<Entry> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            lines.forEach(l -> {
                try {
                    Entry e = Entry.parse(l);
                    if (filter.test(e)) {
                        out.add(e);
                    }
                } catch (RuntimeException ignored) {
                    // a torn or foreign line
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
        flush();
        queue.add(STOP);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }
}
