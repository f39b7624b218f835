package io.terok.cli.spare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpareRequestTest {
    /** The lists as terok-client.c writes them (after the magic). */
    static byte[] wire(List<List<String>> lists) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        for (List<String> l : lists) {
            out.writeInt(l.size());
            for (String s : l) {
                byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
                out.writeInt(bytes.length);
                out.write(bytes);
            }
        }
        return b.toByteArray();
    }

    static SpareRequest read(byte[] b) throws IOException {
        return SpareRequest.read(new DataInputStream(new ByteArrayInputStream(b)));
    }

    @Test
    void readsWhatTheClientSends() throws IOException {
        SpareRequest r = read(wire(List.of(List.of("run", "--rm", "img", "sh", "-c", "echo 'ü' = x"), List.of("/home/o"),
                List.of("A=1", "B=x=y", "EMPTY=", "noequals", "A=2"), List.of("java", "-jar", "j.jar", "cli-spare", "serve"))));
        assertEquals(List.of("run", "--rm", "img", "sh", "-c", "echo 'ü' = x"), r.args());
        assertEquals("/home/o", r.cwd());
        assertEquals(Map.of("A", "1", "B", "x=y", "EMPTY", ""), r.env()); // the first of a twice-set name, as getenv
        assertEquals(List.of("java", "-jar", "j.jar", "cli-spare", "serve"), r.spareCommand());
    }

    @Test
    void aTruncatedOrOversizedRequestIsRefused() throws IOException {
        byte[] ok = wire(List.of(List.of("ps"), List.of("/"), List.of(), List.of("java")));
        assertThrows(EOFException.class, () -> read(java.util.Arrays.copyOf(ok, ok.length - 2)));
        assertThrows(IOException.class, () -> read(wire(List.of(List.of("ps"), List.of("/", "/x"), List.of(), List.of()))));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        new DataOutputStream(b).writeInt(-1);
        assertThrows(IOException.class, () -> read(b.toByteArray()));
        ByteArrayOutputStream big = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(big);
        d.writeInt(1);
        d.writeInt(SpareRequest.MAX_BYTES + 1);
        assertThrows(IOException.class, () -> read(big.toByteArray()));
    }
}
