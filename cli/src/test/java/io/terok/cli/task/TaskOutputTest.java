package io.terok.cli.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TaskOutputTest {
    private static String through(boolean raw, byte[]... chunks) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        TaskOutput o = raw ? TaskOutput.raw(ps) : TaskOutput.sanitised(ps);
        for (byte[] c : chunks) {
            o.write(c);
        }
        o.finish();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void escapesAreShownNotSent() {
        String shown = through(false, b("a\u001b]52;c;ZXZpbA==\u0007b\u001b[2J\tc\n"));
        assertEquals("a\\x1b]52;c;ZXZpbA==\\x07b\\x1b[2J\tc\n", shown);
    }

    @Test
    void aMultibyteCharacterCutBetweenChunksSurvives() {
        byte[] all = b("grüße €\n");
        for (int cut = 1; cut < all.length; cut++) {
            byte[] a = java.util.Arrays.copyOfRange(all, 0, cut);
            byte[] z = java.util.Arrays.copyOfRange(all, cut, all.length);
            assertEquals("grüße €\n", through(false, a, z), "cut at " + cut);
        }
    }

    @Test
    void crlfIsALineEndEvenAcrossChunksButALoneCrIsShown() {
        assertEquals("one\ntwo\n", through(false, b("one\r"), b("\ntwo\r\n")));
        assertEquals("fake\\x0dreal\n", through(false, b("fake\r"), b("real\n")));
        assertEquals("end\\x0d", through(false, b("end\r")));
    }

    @Test
    void aCutCharacterAtTheEndBecomesAReplacement() {
        assertEquals("x\ufffd", through(false, new byte[] {'x', (byte) 0xe2, (byte) 0x82}));
    }

    @Test
    void rawIsUnchanged() {
        assertEquals("\u001b[2J\r\n", through(true, b("\u001b[2J\r\n")));
    }
}
