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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * One JSON line per broker request in {@code <data dir>/vault/audit.jsonl} (0600): time, task, token id, provider,
 * method, path (without the query), status, outcome, duration. Never bodies, headers or secrets. Lines are appended
 * by one background thread so a slow disk never holds up a proxied request; a failing write is logged, not fatal.
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
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vault-audit");
        t.setDaemon(true);
        return t;
    });
    private FileChannel channel;
    private volatile boolean closed;

    private record Follower(Predicate<Entry> filter, Consumer<Entry> sink) {
    }

    /** Followers get each new entry on the writer thread, right after it is written; only ever changed on that thread. */
    private final List<Follower> followers = new CopyOnWriteArrayList<>();

    public AuditLog(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    public void record(Entry e) {
        byte[] line = (e.json().encode() + "\n").getBytes(StandardCharsets.UTF_8);
        writer.execute(() -> {
            try {
                channel().write(ByteBuffer.wrap(line));
            } catch (IOException ex) {
                LOG.warnf("cannot append to %s: %s", file, ex.getMessage());
            }
            for (Follower f : followers) {
                if (f.filter.test(e)) {
                    f.sink.accept(e);
                }
            }
        });
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
            writer.submit(() -> null).get(10, TimeUnit.SECONDS);
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
            writer.submit(() -> {
                readFile(filter).forEach(sink);
                followers.add(f);
                return null;
            }).get(30, TimeUnit.SECONDS);
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
        writer.shutdown();
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }
}
