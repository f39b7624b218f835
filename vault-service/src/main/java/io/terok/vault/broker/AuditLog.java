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
 * One JSON line per broker request in {@code <data dir>/vault/audit.jsonl} (0600), rotated by size into
 * {@code audit.jsonl.1..N} so that what a task can make the vault write is bounded: time, task, token id, provider,
 * method, path (without the query), status, outcome, duration. Never bodies, headers or secrets. Lines are appended
 * by one background thread so a slow disk never holds up a proxied request; a failing write is logged, not fatal.
 * Lines are appended in the order {@link #record} was called (the broker records when a request ends).
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AuditLog.class);

    /**
     * One line. {@code count}: how many requests it stands for, 1 but for a folded line (a flood's refusals past the
     * first of a window, {@link RefusalFolder}), whose method and path are the last folded request's.
     */
    public record Entry(Instant time, String taskId, String tokenId, String provider, String method, String path, int status,
                        String outcome, long durationMs, long count) {
        public Entry(Instant time, String taskId, String tokenId, String provider, String method, String path, int status,
                     String outcome, long durationMs) {
            this(time, taskId, tokenId, provider, method, path, status, outcome, durationMs, 1);
        }

        JsonObject json() {
            JsonObject j = new JsonObject().put("time", time.toString()).put("task", taskId).put("token", tokenId).put("provider", provider)
                    .put("method", method).put("path", path).put("status", status).put("outcome", outcome)
                    .put("duration_ms", durationMs);
            return count == 1 ? j : j.put("count", count);
        }

        static Entry parse(String line) {
            JsonObject j = new JsonObject(line);
            return new Entry(Instant.parse(j.getString("time")), j.getString("task", ""), j.getString("token", ""),
                    j.getString("provider", ""), j.getString("method", ""), j.getString("path", ""), j.getInteger("status", 0),
                    j.getString("outcome", ""), j.getLong("duration_ms", 0L), j.getLong("count", 1L));
        }
    }

    private final Path file;
    /** Rotation: the live file is rotated before it would grow past this many bytes... */
    private final long maxFileBytes;
    /** ... into {@code file.1} (newest) up to {@code file.N}; the oldest beyond N is deleted. */
    private final int rotatedFiles;
    /** The live file's size as the writer thread knows it (only touched there). */
    private long size = -1;
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

    /** Default cap: 4 files of 8 MiB (the live one and 3 rotated), so at most 32 MiB whatever a task sends. */
    public static final long DEFAULT_MAX_FILE_BYTES = 8L << 20;
    public static final int DEFAULT_ROTATED_FILES = 3;

    public AuditLog(Path file) {
        this(file, DEFAULT_MAX_FILE_BYTES, DEFAULT_ROTATED_FILES);
    }

    /**
     * @param maxFileBytes the live file is rotated before a line would take it past this (at least 4096)
     * @param rotatedFiles how many rotated files are kept (at least 1): the log never holds more than
     *                     {@code maxFileBytes * (rotatedFiles + 1)} bytes
     */
    public AuditLog(Path file, long maxFileBytes, int rotatedFiles) {
        if (maxFileBytes < 4096) {
            throw new IllegalArgumentException("terok.vault.audit-max-file-bytes: at least 4096, got " + maxFileBytes);
        }
        if (rotatedFiles < 1 || rotatedFiles > 100) {
            throw new IllegalArgumentException("terok.vault.audit-rotated-files: 1 to 100, got " + rotatedFiles);
        }
        this.file = file;
        this.maxFileBytes = maxFileBytes;
        this.rotatedFiles = rotatedFiles;
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
            long pending = 0;
            for (Object o : batch) {
                if (o instanceof Entry e) {
                    String line = e.json().encode() + '\n';
                    long bytes = line.getBytes(StandardCharsets.UTF_8).length;
                    if (liveSize() + pending + bytes > maxFileBytes) {
                        // Rotated between whole lines: every file stays readable line by line.
                        append(lines, written);
                        rotate();
                        pending = 0;
                    }
                    lines.append(line);
                    pending += bytes;
                    written.add(e);
                    continue;
                }
                pending = 0;
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
                size += c.write(b);
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

    /** The live file's size (writer thread). */
    private long liveSize() {
        if (size < 0) {
            try {
                size = Files.exists(file) ? Files.size(file) : 0;
            } catch (IOException e) {
                size = 0;
            }
        }
        return size;
    }

    /** {@code file.n}: 1 is the newest rotated file. */
    public Path rotated(int n) {
        return file.resolveSibling(file.getFileName() + "." + n);
    }

    /** The live file becomes {@code .1}, {@code .1} becomes {@code .2} ..., the oldest beyond the limit is deleted. */
    private void rotate() {
        try {
            if (channel != null) {
                channel.close();
                channel = null;
            }
            Files.deleteIfExists(rotated(rotatedFiles));
            for (int i = rotatedFiles - 1; i >= 1; i--) {
                if (Files.exists(rotated(i))) {
                    Files.move(rotated(i), rotated(i + 1), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                }
            }
            if (Files.exists(file)) {
                Files.move(file, rotated(1), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            LOG.warnf("cannot rotate %s: %s", file, e.getMessage());
        }
        size = 0;
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
        // On the writer thread, so a rotation cannot move a file between the reads of two files.
        try {
            return onWriter(() -> readFile(filter), 60);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IllegalStateException closedLog && closedLog.getMessage().contains("closed")) {
                return readFile(filter);
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the audit writer did not answer within 60 s");
        }
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

    /** The rotated files, oldest first, then the live one. (A read off the writer thread may race a rotation.) */
    private List<Entry> readFile(Predicate<Entry> filter) {
        List<Entry> out = new ArrayList<>();
        for (int i = rotatedFiles; i >= 1; i--) {
            readOne(rotated(i), filter, out);
        }
        readOne(file, filter, out);
        return out;
    }

    private static void readOne(Path file, Predicate<Entry> filter, List<Entry> out) {
        if (!Files.exists(file)) {
            return;
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
        } catch (java.nio.file.NoSuchFileException e) {
            // rotated away meanwhile
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
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
