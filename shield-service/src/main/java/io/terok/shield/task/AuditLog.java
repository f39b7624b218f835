package io.terok.shield.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A task's audit log: {@code audit.jsonl}, one JSON object per line (time, task, action, destination, detail).
 * A task controls how many lines it causes (every blocked connection is one), so the file rotates: before an append
 * would take it past {@code maxBytes}, it becomes {@code audit.jsonl.1} (replacing the previous one). A task's audit
 * takes at most twice {@code maxBytes} on disk; {@link #read} reads both.
 */
public final class AuditLog {
    /** Built at the first write or read, not when the service starts: Jackson's first mapper loads ~380 classes. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }
    /** Default cap of one file: 1 MiB (about 8000 lines). */
    public static final long DEFAULT_MAX_BYTES = 1 << 20;

    public record Entry(Instant time, String task, String action, String destination, String detail) {
    }

    /** The service has more than one AuditLog (manager, event hub): appends and rotations are serialised across them. */
    private static final Object LOCK = new Object();
    private final Clock clock;
    private final long maxBytes;

    public AuditLog(Clock clock) {
        this(clock, DEFAULT_MAX_BYTES);
    }

    public AuditLog(Clock clock, long maxBytes) {
        if (maxBytes < 4096) {
            throw new IllegalArgumentException("audit log cap " + maxBytes + " bytes: at least 4096");
        }
        this.clock = clock;
        this.maxBytes = maxBytes;
    }

    /** The rotated file of {@code file}. */
    public static Path previous(Path file) {
        return file.resolveSibling(file.getFileName() + ".1");
    }

    public void append(Path file, String task, String action, String destination, String detail) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("time", clock.instant().toString());
        n.put("task", task);
        n.put("action", action);
        if (destination != null && !destination.isEmpty()) {
            n.put("destination", destination);
        }
        if (detail != null && !detail.isEmpty()) {
            n.put("detail", detail);
        }
        try {
            byte[] line = (Json.MAPPER.writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (LOCK) {
                if (Files.exists(file) && Files.size(file) + line.length > maxBytes) {
                    Files.move(file, previous(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
                Files.write(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot write audit log " + file + ": " + e.getMessage(), e);
        }
    }

    /** The last {@code limit} entries (all when limit <= 0), oldest first. Unparseable lines are skipped. */
    public List<Entry> read(Path file, int limit) {
        List<String> lines = new ArrayList<>();
        try {
            for (Path f : List.of(previous(file), file)) {
                if (Files.exists(f)) {
                    lines.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read audit log " + file + ": " + e.getMessage(), e);
        }
        List<Entry> out = new ArrayList<>();
        for (String l : lines) {
            try {
                JsonNode n = Json.MAPPER.readTree(l);
                out.add(new Entry(Instant.parse(n.path("time").asText()), n.path("task").asText(),
                        n.path("action").asText(), n.path("destination").asText(""), n.path("detail").asText("")));
            } catch (IOException | RuntimeException e) {
                // a torn last line after a crash: skip it
            }
        }
        return limit > 0 && out.size() > limit ? out.subList(out.size() - limit, out.size()) : out;
    }
}
