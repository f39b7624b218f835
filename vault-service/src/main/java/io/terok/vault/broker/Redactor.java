package io.terok.vault.broker;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A response body stream in which every occurrence of the real secret becomes the phantom token. It streams: a
 * chunk goes out as soon as it arrives, except for a tail that could be the start of the secret split across two
 * chunks (held until the next chunk or the end). SSE events end in a newline, which no secret starts with, so
 * streamed events are never held back.
 */
final class Redactor implements ReadStream<Buffer> {
    private final ReadStream<Buffer> source;
    private final byte[] secret;
    private final byte[] replacement;
    private byte[] held = new byte[0];
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;

    Redactor(ReadStream<Buffer> source, String secret, String replacement) {
        this.source = source;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.replacement = replacement.getBytes(StandardCharsets.UTF_8);
    }

    /** A redactor fed by hand through {@link #transform} and {@link #drain} (WebSocket frames). */
    Redactor(String secret, String replacement) {
        this(null, secret, replacement);
    }

    /** Redacts one whole value (a header). */
    static String redact(String value, String secret, String replacement) {
        return value.contains(secret) ? value.replace(secret, replacement) : value;
    }

    byte[] transform(byte[] chunk) {
        byte[] in;
        if (held.length == 0) {
            in = chunk;
        } else {
            in = new byte[held.length + chunk.length];
            System.arraycopy(held, 0, in, 0, held.length);
            System.arraycopy(chunk, 0, in, held.length, chunk.length);
        }
        ByteArrayOutputStream out = null;
        int from = 0;
        int idx;
        while ((idx = indexOf(in, secret, from)) >= 0) {
            if (out == null) {
                out = new ByteArrayOutputStream(in.length);
            }
            out.write(in, from, idx - from);
            out.write(replacement, 0, replacement.length);
            from = idx + secret.length;
        }
        int hold = 0;
        for (int k = Math.min(secret.length - 1, in.length - from); k > 0; k--) {
            if (regionMatches(in, in.length - k, secret, k)) {
                hold = k;
                break;
            }
        }
        held = hold == 0 ? new byte[0] : java.util.Arrays.copyOfRange(in, in.length - hold, in.length);
        if (out == null && hold == 0 && from == 0) {
            return in;
        }
        if (out == null) {
            out = new ByteArrayOutputStream(in.length);
        }
        out.write(in, from, in.length - from - hold);
        return out.toByteArray();
    }

    byte[] drain() {
        byte[] h = held;
        held = new byte[0];
        return h;
    }

    private static int indexOf(byte[] in, byte[] pat, int from) {
        if (pat.length == 0) {
            return -1;
        }
        outer:
        for (int i = from; i <= in.length - pat.length; i++) {
            if (in[i] != pat[0]) {
                continue;
            }
            for (int j = 1; j < pat.length; j++) {
                if (in[i + j] != pat[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static boolean regionMatches(byte[] in, int off, byte[] pat, int len) {
        for (int j = 0; j < len; j++) {
            if (in[off + j] != pat[j]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
        source.exceptionHandler(h);
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> h) {
        this.handler = h;
        if (h == null) {
            source.handler(null);
        } else {
            source.handler(b -> {
                byte[] in = b.getBytes();
                byte[] out = transform(in);
                if (out == in) {
                    h.handle(b); // nothing redacted or held back: the chunk as it came
                } else if (out.length > 0) {
                    h.handle(Buffer.buffer(out));
                }
            });
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
        source.pause();
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        source.resume();
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        source.fetch(amount);
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> h) {
        this.endHandler = h;
        source.endHandler(h == null ? null : v -> {
            byte[] rest = drain();
            if (rest.length > 0 && handler != null) {
                handler.handle(Buffer.buffer(rest));
            }
            h.handle(null);
        });
        return this;
    }
}
