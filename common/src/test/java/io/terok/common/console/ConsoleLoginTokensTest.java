package io.terok.common.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleLoginTokensTest {
    @TempDir
    Path runtime;

    @Test
    void aTokenWorksOnceAndItsFileHoldsOnlyTheHash() throws Exception {
        ConsoleLoginTokens tokens = new ConsoleLoginTokens(runtime);
        String token = tokens.mint();
        try (var files = Files.list(tokens.directory())) {
            Path f = files.findFirst().orElseThrow();
            assertFalse(f.getFileName().toString().contains(token));
            assertFalse(Files.readString(f).contains(token));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens.directory())));
        assertTrue(tokens.redeem(token));
        assertFalse(tokens.redeem(token), "a second use must fail");
    }

    @Test
    void expiredUnknownAndMalformedTokensFail() {
        Instant t0 = Instant.parse("2026-12-06T10:00:00Z");
        String token = new ConsoleLoginTokens(runtime, Clock.fixed(t0, ZoneOffset.UTC)).mint();
        ConsoleLoginTokens later = new ConsoleLoginTokens(runtime,
                Clock.fixed(t0.plus(ConsoleLoginTokens.LIFETIME).plusSeconds(1), ZoneOffset.UTC));
        assertFalse(later.redeem(token));
        assertFalse(later.redeem("0".repeat(64)));
        assertFalse(later.redeem("../../etc/passwd"));
        assertFalse(later.redeem(null));
    }

    @Test
    void sweepRemovesExpiredFiles() throws Exception {
        Instant t0 = Instant.parse("2026-12-06T10:00:00Z");
        new ConsoleLoginTokens(runtime, Clock.fixed(t0, ZoneOffset.UTC)).mint();
        ConsoleLoginTokens later = new ConsoleLoginTokens(runtime, Clock.fixed(t0.plusSeconds(3600), ZoneOffset.UTC));
        later.sweep();
        try (var files = Files.list(later.directory())) {
            assertEquals(0, files.count());
        }
    }
}
