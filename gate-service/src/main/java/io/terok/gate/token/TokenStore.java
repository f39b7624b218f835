package io.terok.gate.token;

import io.terok.common.PrivateFiles;
import io.terok.gate.json.JsonFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Per-task gate tokens: {@code terok-g-} + 64 hex (256 random bits). Only the SHA-256 of a token is kept, with
 * its task and project, in one 0600 JSON file so a restart of the service keeps them. Lookups hash the
 * presented token and compare every stored hash in constant time.
 */
public class TokenStore {
    public static final String PREFIX = "terok-g-";

    /** What a token grants: one task's access to one project's repository. */
    public record Grant(String task, String project) {
    }

    public record Entry(String sha256, String task, String project, String createdAt) {
    }

    private final SecureRandom random = new SecureRandom();
    private final Path file;
    private List<Entry> entries;

    public TokenStore(Path dir) {
        PrivateFiles.directory(dir);
        this.file = dir.resolve("tokens.json");
        this.entries = new ArrayList<>(JsonFiles.readList(file, Entry.class));
    }

    public synchronized String mint(String task, String project) {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String token = PREFIX + HexFormat.of().formatHex(raw);
        List<Entry> next = new ArrayList<>(entries);
        next.add(new Entry(HexFormat.of().formatHex(sha256(token)), task, project, Instant.now().toString()));
        JsonFiles.write(file, next);
        entries = next;
        return token;
    }

    /** Forgets every token of the task; returns how many there were. Idempotent. */
    public synchronized int revoke(String task) {
        List<Entry> next = new ArrayList<>(entries);
        int before = next.size();
        next.removeIf(e -> e.task().equals(task));
        int removed = before - next.size();
        if (removed > 0) {
            JsonFiles.write(file, next);
            entries = next;
        }
        return removed;
    }

    /** Forgets every token that opens the project (the project is being deleted). */
    public synchronized int revokeProject(String project) {
        List<Entry> next = new ArrayList<>(entries);
        int before = next.size();
        next.removeIf(e -> e.project().equals(project));
        if (next.size() != before) {
            JsonFiles.write(file, next);
            entries = next;
        }
        return before - next.size();
    }

    public Optional<Grant> authenticate(String presented) {
        if (presented == null || presented.isEmpty() || presented.length() > 256) {
            return Optional.empty();
        }
        byte[] hash = sha256(presented);
        List<Entry> snapshot;
        synchronized (this) {
            snapshot = entries;
        }
        Grant found = null;
        for (Entry e : snapshot) {
            // Visit every entry whatever matches, so the time taken does not depend on where a match is.
            if (MessageDigest.isEqual(hash, HexFormat.of().parseHex(e.sha256())) && found == null) {
                found = new Grant(e.task(), e.project());
            }
        }
        return Optional.ofNullable(found);
    }

    public synchronized List<Entry> list() {
        return List.copyOf(entries);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
