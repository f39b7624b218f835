package io.terok.shield.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A task's audit log: {@code audit.jsonl}, one JSON object per line (time, task, action, destination, detail). */
public final class AuditLog {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Entry(Instant time, String task, String action, String destination, String detail) {
    }

    private final Clock clock;

    public AuditLog(Clock clock) {
        this.clock = clock;
    }

    public void append(Path file, String task, String action, String destination, String detail) {
        ObjectNode n = JSON.createObjectNode();
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
            Files.writeString(file, JSON.writeValueAsString(n) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write audit log " + file + ": " + e.getMessage(), e);
        }
    }

    /** The last {@code limit} entries (all when limit <= 0), oldest first. Unparseable lines are skipped. */
    public List<Entry> read(Path file, int limit) {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read audit log " + file + ": " + e.getMessage(), e);
        }
        List<Entry> out = new ArrayList<>();
        for (String l : lines) {
            try {
                JsonNode n = JSON.readTree(l);
                out.add(new Entry(Instant.parse(n.path("time").asText()), n.path("task").asText(),
                        n.path("action").asText(), n.path("destination").asText(""), n.path("detail").asText("")));
            } catch (IOException | RuntimeException e) {
                // a torn last line after a crash: skip it
            }
        }
        return limit > 0 && out.size() > limit ? out.subList(out.size() - limit, out.size()) : out;
    }
}
