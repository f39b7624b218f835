package io.terok.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HostProcessTest {
    @Test
    void stdinReachesTheProgramAndNoShellInterpretsArguments() throws IOException {
        HostProcess.Result r = HostProcess.of("cat").stdin("secret; $(id)").run();
        assertTrue(r.ok());
        assertEquals("secret; $(id)", r.stdout());
        assertEquals("$(id) ;x", HostProcess.of("echo", "-n", "$(id) ;x").run().stdout());
    }

    @Test
    void withoutStdinTheProgramReadsEndOfFile() throws IOException {
        assertArrayEquals(new byte[0], HostProcess.of("cat").timeout(Duration.ofSeconds(5)).run().stdoutBytes());
    }

    @Test
    void aHangingProgramIsKilledAtTheDeadline() throws IOException {
        long t0 = System.nanoTime();
        HostProcess.Result r = HostProcess.of("sleep", "30").timeout(Duration.ofMillis(200)).run();
        assertTrue(r.timedOut());
        assertFalse(r.ok());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
    }

    @Test
    void outputIsCappedButTheProgramStillFinishes() throws IOException {
        HostProcess.Result r = HostProcess.of("head", "-c", "1000000", "/dev/zero").maxOutput(1000).run();
        assertTrue(r.ok());
        assertTrue(r.truncated());
        assertEquals(1000, r.stdoutBytes().length);
    }

    @Test
    void failuresCarryTheirFirstLine() throws IOException {
        HostProcess.Result r = HostProcess.of("sh", "-c", "echo 'bad\u001b[2J thing' >&2; exit 3").run();
        assertEquals(3, r.exitCode());
        assertEquals("sh failed (exit 3): bad?[2J thing", r.describeFailure());
    }

    @Test
    void aMissingProgramIsAnIOException() {
        assertThrows(IOException.class, () -> HostProcess.of("/nonexistent/terok-no-such-program").run());
    }

    @Test
    void linesReachTheSinkAsWrittenSanitisedWithTheTailKept() throws IOException {
        java.util.List<String> seen = new java.util.ArrayList<>();
        HostProcess.Result r = HostProcess.of("sh", "-c", "echo one; echo 'two\u001b[2J' >&2; seq 1000; exit 4")
                .maxOutput(10).lines(seen::add).run();
        assertEquals(4, r.exitCode());
        assertEquals("one", seen.get(0));
        assertEquals("two?[2J", seen.get(1));
        assertEquals(1002, seen.size());
        assertEquals("\n999\n1000\n", r.stdout().substring(r.stdout().length() - 10));
        assertTrue(r.truncated());
    }
}
