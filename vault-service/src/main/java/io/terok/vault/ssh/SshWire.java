package io.terok.vault.ssh;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The SSH wire encoding (RFC 4251 §5: byte, uint32, string) of the agent protocol's messages. */
public final class SshWire {
    private SshWire() {
    }

    /** Input that does not follow the encoding: a truncated field, a length past the end, trailing bytes. */
    public static final class FormatException extends IllegalArgumentException {
        public FormatException(String message) {
            super(message);
        }
    }

    public static final class Reader {
        private final byte[] buf;
        private int pos;
        private final int end;

        public Reader(byte[] buf) {
            this(buf, 0, buf.length);
        }

        public Reader(byte[] buf, int offset, int length) {
            this.buf = buf;
            this.pos = offset;
            this.end = offset + length;
        }

        public int remaining() {
            return end - pos;
        }

        public int u8() {
            need(1, "byte");
            return buf[pos++] & 0xff;
        }

        public long u32() {
            need(4, "uint32");
            long v = ((buf[pos] & 0xffL) << 24) | ((buf[pos + 1] & 0xffL) << 16) | ((buf[pos + 2] & 0xffL) << 8) | (buf[pos + 3] & 0xffL);
            pos += 4;
            return v;
        }

        public byte[] string() {
            long n = u32();
            if (n > remaining()) {
                throw new FormatException("a string of " + n + " bytes runs past the end (" + remaining() + " left)");
            }
            byte[] out = Arrays.copyOfRange(buf, pos, pos + (int) n);
            pos += (int) n;
            return out;
        }

        public String utf8() {
            return new String(string(), StandardCharsets.UTF_8);
        }

        /** Refuses trailing bytes: a message must be exactly its fields. */
        public void end() {
            if (remaining() != 0) {
                throw new FormatException(remaining() + " unexpected trailing byte(s)");
            }
        }

        private void need(int n, String what) {
            if (remaining() < n) {
                throw new FormatException("truncated: a " + what + " needs " + n + " byte(s), " + remaining() + " left");
            }
        }
    }

    public static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Writer u8(int v) {
            out.write(v);
            return this;
        }

        public Writer u32(long v) {
            out.write((int) (v >>> 24));
            out.write((int) (v >>> 16));
            out.write((int) (v >>> 8));
            out.write((int) v);
            return this;
        }

        public Writer string(byte[] b) {
            u32(b.length);
            out.writeBytes(b);
            return this;
        }

        public Writer string(String s) {
            return string(s.getBytes(StandardCharsets.UTF_8));
        }

        public byte[] bytes() {
            return out.toByteArray();
        }
    }
}
