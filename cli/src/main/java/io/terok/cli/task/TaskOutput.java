package io.terok.cli.task;

import io.terok.common.Printable;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A task's output on its way to the operator's terminal. The bytes are the task's, so they are hostile: escape
 * sequences could clear or rewrite the screen, retitle the window, or write the clipboard (OSC 52). Unless the
 * operator asked for the task's own TTY session ({@code run -t}), every chunk goes through {@link Printable#lines}
 * (newlines and tabs kept, every other control character shown visibly, {@code \x1b}); a chunk may end inside a
 * UTF-8 character or between the CR and LF of a line end, so both are carried over to the next chunk. A CR
 * directly before an LF is only a line end and is dropped; any other CR is shown.
 */
final class TaskOutput {
    private final PrintStream target;
    private final boolean raw;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** Undecoded bytes of a character cut by a chunk boundary (at most 3). */
    private ByteBuffer pending = ByteBuffer.allocate(0);
    private boolean pendingCr;

    private TaskOutput(PrintStream target, boolean raw) {
        this.target = target;
        this.raw = raw;
    }

    static TaskOutput sanitised(PrintStream target) {
        return new TaskOutput(target, false);
    }

    /** Only for the interactive TTY session the operator asked for: the task's bytes, unchanged. */
    static TaskOutput raw(PrintStream target) {
        return new TaskOutput(target, true);
    }

    /** Shows a whole output at once (exec's stdout or stderr). */
    static void show(PrintStream target, byte[] data) {
        TaskOutput o = sanitised(target);
        o.write(data);
        o.finish();
    }

    void write(byte[] chunk) {
        if (raw) {
            target.writeBytes(chunk);
            target.flush();
            return;
        }
        ByteBuffer in = ByteBuffer.allocate(pending.remaining() + chunk.length);
        in.put(pending).put(chunk).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        decoder.decode(in, out, false);
        pending = in.slice();
        out.flip();
        emit(out.toString(), false);
    }

    /** The end of the stream: a cut character becomes U+FFFD, a last CR is shown. */
    void finish() {
        if (raw) {
            return;
        }
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
        decoder.decode(pending, out, true);
        decoder.flush(out);
        pending = ByteBuffer.allocate(0);
        out.flip();
        emit(out.toString(), true);
    }

    private void emit(String text, boolean last) {
        StringBuilder s = new StringBuilder(text.length() + 1);
        if (pendingCr) {
            s.append('\r');
            pendingCr = false;
        }
        s.append(text);
        if (!last && s.length() > 0 && s.charAt(s.length() - 1) == '\r') {
            s.setLength(s.length() - 1);
            pendingCr = true;
        }
        String shown = Printable.lines(s.toString().replace("\r\n", "\n"));
        if (!shown.isEmpty()) {
            target.print(shown);
            target.flush();
        }
    }
}
