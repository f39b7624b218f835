package io.terok.cli.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.terok.api.v1.AuditEntry;
import io.terok.cli.core.CliException;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

/** `terok vault audit --since` and the two output forms. */
class VaultAuditSinceTest {
    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    private static final ZoneId ZONE = ZoneId.of("Europe/Berlin");

    @Test
    void durationsCountBackFromNowAndTimesAreAbsolute() {
        assertEquals(Instant.parse("2026-11-25T11:58:30Z"), VaultAuditCommand.parseSince("90s", NOW, ZONE));
        assertEquals(Instant.parse("2026-11-25T10:30:00Z"), VaultAuditCommand.parseSince("1h30m", NOW, ZONE));
        assertEquals(Instant.parse("2026-11-18T12:00:00Z"), VaultAuditCommand.parseSince("1w", NOW, ZONE));
        assertEquals(Instant.parse("2026-11-24T12:00:00Z"), VaultAuditCommand.parseSince("1d", NOW, ZONE));
        assertEquals(Instant.parse("2026-11-25T09:15:00Z"), VaultAuditCommand.parseSince("2026-11-25T09:15:00Z", NOW, ZONE));
        assertEquals(Instant.parse("2026-11-25T09:15:00Z"), VaultAuditCommand.parseSince("2026-11-25T10:15", NOW, ZONE), "local time");
        assertEquals(Instant.parse("2026-11-25T09:15:00Z"), VaultAuditCommand.parseSince("2026-11-25 10:15", NOW, ZONE));
        assertEquals(Instant.parse("2026-11-24T23:00:00Z"), VaultAuditCommand.parseSince("2026-11-25", NOW, ZONE));
        CliException bad = assertThrows(CliException.class, () -> VaultAuditCommand.parseSince("yesterday", NOW, ZONE));
        assertEquals(CliException.USAGE, bad.exitCode());
        assertTrue(bad.getMessage().contains("--since") && bad.getMessage().contains("1h30m"), bad.getMessage());
    }

    @Test
    void entriesPrintAsTableRowsOrJsonLines() {
        AuditEntry e = AuditEntry.newBuilder().setTime(Timestamp.newBuilder().setSeconds(NOW.getEpochSecond()).setNanos(5_000_000))
                .setTaskId("task-1").setTokenId("vt-0011").setProvider("openai").setMethod("POST").setPath("/v1/\"odd\"\\path")
                .setStatus(200).setOutcome("ok").setDurationMs(12).build();
        assertEquals("{\"time\":\"2026-11-25T12:00:00.005Z\",\"task\":\"task-1\",\"token\":\"vt-0011\",\"provider\":\"openai\","
                + "\"method\":\"POST\",\"path\":\"/v1/\\\"odd\\\"\\\\path\",\"status\":200,\"outcome\":\"ok\",\"duration_ms\":12}",
                VaultAuditCommand.json(e));
        String row = VaultAuditCommand.row(e);
        assertTrue(row.startsWith("2026-11-25T12:00:00.005Z") && row.contains("task-1") && row.contains("openai")
                && row.contains(" 200 ") && row.endsWith("/v1/\"odd\"\\path"), row);
    }
}
