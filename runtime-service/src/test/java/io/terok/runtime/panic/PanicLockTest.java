package io.terok.runtime.panic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PanicLockTest {
    @TempDir
    Path dir;

    @Test
    void engagedLockRefusesUntilClearedAndIsReadBackAfterARestart() {
        Instant t = Instant.parse("2026-12-06T03:00:00Z");
        PanicLock lock = new PanicLock(dir.resolve("panic.lock"), Clock.fixed(t, ZoneOffset.UTC));
        lock.refuse("launching a task");
        assertEquals(t, lock.engage());
        ServiceException e = assertThrows(ServiceException.class, () -> lock.refuse("launching a task"));
        assertEquals(ServiceException.Kind.PRECONDITION, e.kind());
        assertEquals("terok is in panic mode since 2026-12-06T03:00:00Z: launching a task is refused until the operator runs"
                + " `terok panic --clear`", e.getMessage());
        assertEquals(t, new PanicLock(dir.resolve("panic.lock"), Clock.systemUTC()).since().orElseThrow());
        lock.clear();
        lock.refuse("launching a task");
        assertTrue(new PanicLock(dir.resolve("panic.lock"), Clock.systemUTC()).since().isEmpty());
    }

    @Test
    void anUnreadableLockCountsAsEngaged() throws Exception {
        Files.writeString(dir.resolve("panic.lock"), "garbage");
        PanicLock lock = new PanicLock(dir.resolve("panic.lock"), Clock.systemUTC());
        ServiceException e = assertThrows(ServiceException.class, () -> lock.refuse("launching a task"));
        assertTrue(e.getMessage().startsWith("terok is in panic mode: "), e.getMessage());
    }
}
