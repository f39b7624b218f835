package io.terok.runtime.attach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.AttachOutput;
import io.terok.api.v1.AttachStart;
import io.terok.api.v1.WindowSize;
import io.terok.common.ServiceException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What an attach client sends is checked before anything is attached; podman's frames are split without buffering. */
class AttachInputTest {
    private static String refusal(AttachStart start) {
        ServiceException e = assertThrows(ServiceException.class, () -> AttachSessions.validate(start));
        assertEquals(ServiceException.Kind.INVALID, e.kind());
        return e.getMessage();
    }

    @Test
    void badStartMessagesNameTheirField() {
        assertTrue(refusal(AttachStart.getDefaultInstance()).contains("start.task"));
        assertTrue(refusal(AttachStart.newBuilder().setTask("t").addCommand("").build()).contains("start.command[0]"));
        assertTrue(refusal(AttachStart.newBuilder().setTask("t").setTty(true).build()).contains("start.command"));
        assertTrue(refusal(AttachStart.newBuilder().setTask("t").addCommand("sh").putEnv("A=B", "x").build())
                .contains("start.env"));
        assertTrue(refusal(AttachStart.newBuilder().setTask("t").addCommand("sh").setReplay(true).build())
                .contains("start.replay"));
        assertTrue(refusal(AttachStart.newBuilder().setTask("t")
                .setSize(WindowSize.newBuilder().setRows(0).setColumns(80)).build()).contains("start.size"));
        assertTrue(refusal(AttachStart.newBuilder().setTask("t")
                .setSize(WindowSize.newBuilder().setRows(24).setColumns(-1)).build()).contains("4294967295"));
        AttachSessions.validate(AttachStart.newBuilder().setTask("t").addCommand("bash").setTty(true)
                .setSize(WindowSize.newBuilder().setRows(24).setColumns(80)).build());
    }

    @Test
    void framesAreSplitIntoStreamsAcrossReadsAndPassedOnInPieces() {
        byte[] out = frame(1, "hello ".repeat(10));
        byte[] err = frame(2, "oops");
        byte[] all = new byte[out.length + err.length];
        System.arraycopy(out, 0, all, 0, out.length);
        System.arraycopy(err, 0, all, out.length, err.length);
        List<AttachOutput> got = new ArrayList<>();
        AttachSession.Demux demux = new AttachSession.Demux();
        AttachPeer peer = new AttachPeer() {
            @Override
            public boolean send(AttachOutput message) {
                got.add(message);
                return true;
            }

            @Override
            public void finish(Throwable error) {
            }
        };
        // Three bytes at a time: headers and payloads cut anywhere.
        for (int i = 0; i < all.length; i += 3) {
            byte[] piece = java.util.Arrays.copyOfRange(all, i, Math.min(all.length, i + 3));
            assertTrue(demux.feed(piece, piece.length, peer));
        }
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        for (AttachOutput o : got) {
            stdout.writeBytes(o.getStdout().toByteArray());
            stderr.writeBytes(o.getStderr().toByteArray());
            assertTrue(o.getStdout().size() + o.getStderr().size() <= 3, "nothing is held back to fill a frame");
        }
        assertEquals("hello ".repeat(10), stdout.toString());
        assertEquals("oops", stderr.toString());
    }

    private static byte[] frame(int stream, String text) {
        byte[] payload = text.getBytes();
        byte[] f = new byte[8 + payload.length];
        f[0] = (byte) stream;
        f[4] = (byte) (payload.length >>> 24);
        f[5] = (byte) (payload.length >>> 16);
        f[6] = (byte) (payload.length >>> 8);
        f[7] = (byte) payload.length;
        System.arraycopy(payload, 0, f, 8, payload.length);
        return f;
    }
}
