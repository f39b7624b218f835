package io.terok.vault.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 12: a task that floods the broker cannot grow the audit log without bound. The log is rotated by size
 * into audit.jsonl.1..N; everything on disk stays under the cap, and the newest entries stay readable by what
 * {@code terok vault audit} calls ({@code VaultService.Audit} reads through {@link AuditLog#read}).
 */
class AuditLogRotationTest {
    @TempDir
    Path tmp;

    private static AuditLog.Entry entry(int i) {
        return new AuditLog.Entry(Instant.now(), "0123456789abcdef0123456789abcdef", "vt-0123456789abcdef", "github", "GET",
                "/repos/o/r/issues/" + i + "/" + "x".repeat(i % 97), 200, "ok", i % 50);
    }

    private long onDisk() throws Exception {
        try (Stream<Path> s = Files.list(tmp.resolve("vault"))) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void aFloodKeepsTheFilesUnderTheCapAndTheNewestEntriesReadable() throws Exception {
        long max = 64 << 10;
        int rotated = 2;
        Path file = tmp.resolve("vault/audit.jsonl");
        ConcurrentLinkedQueue<AuditLog.Entry> followed = new ConcurrentLinkedQueue<>();
        int flood = 20_000; // about 4 MiB of lines: 20 times the cap
        try (AuditLog log = new AuditLog(file, max, rotated)) {
            log.record(entry(0));
            AutoCloseable follow = log.follow(e -> e.path().endsWith("/" + (flood - 1) + "/" + "x".repeat((flood - 1) % 97)), followed::add);
            for (int i = 1; i < flood; i++) {
                log.record(entry(i));
                if (i % 5000 == 0) {
                    log.flush();
                    assertTrue(onDisk() <= max * (rotated + 1), "under the cap mid-flood: " + onDisk());
                }
            }
            List<AuditLog.Entry> all = log.read(e -> true);
            assertTrue(onDisk() <= max * (rotated + 1), "under the cap: " + onDisk());
            assertTrue(Files.size(file) <= max && Files.size(log.rotated(1)) <= max && Files.size(log.rotated(2)) <= max);
            assertFalse(Files.exists(log.rotated(3)), "no more rotated files than configured");
            for (Path p : List.of(file, log.rotated(1), log.rotated(2))) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
            }
            // The newest entries are there, in order and whole; the oldest went with the rotated-out files.
            assertEquals(entry(flood - 1).path(), all.get(all.size() - 1).path());
            assertTrue(all.size() > 100, "the last three files' worth: " + all.size());
            int first = Integer.parseInt(all.get(0).path().split("/")[5]);
            for (int k = 0; k < all.size(); k++) {
                assertEquals(first + k, Integer.parseInt(all.get(k).path().split("/")[5]), "no entry lost or torn inside what is kept");
            }
            assertTrue(first > 0, "the oldest entries were rotated out");
            assertEquals(1, followed.size(), "a follower still gets the newest entry across rotations");
            follow.close();
        }
        // A restarted vault continues the same live file and keeps the cap.
        try (AuditLog again = new AuditLog(file, max, rotated)) {
            for (int i = 0; i < 2000; i++) {
                again.record(entry(i));
            }
            again.flush();
            assertTrue(onDisk() <= max * (rotated + 1), "under the cap after a restart: " + onDisk());
        }
    }

    @Test
    void nonsenseLimitsAreRefusedNamingTheSetting() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> new AuditLog(tmp.resolve("a"), 100, 3));
        assertTrue(small.getMessage().contains("terok.vault.audit-max-file-bytes"), small.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> new AuditLog(tmp.resolve("a"), 1 << 20, 0));
        assertTrue(none.getMessage().contains("terok.vault.audit-rotated-files"), none.getMessage());
    }
}
