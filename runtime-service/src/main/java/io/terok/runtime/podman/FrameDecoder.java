package io.terok.runtime.podman;

import io.vertx.core.buffer.Buffer;

/**
 * Splits podman's multiplexed output (8-byte header: stream id, 3 zero bytes, big-endian length) into
 * stdout and stderr pieces. TTY containers send raw bytes, which all count as stdout.
 */
final class FrameDecoder {
    private final boolean raw;
    private final OutputSink sink;
    private Buffer pending = Buffer.buffer();

    FrameDecoder(boolean raw, OutputSink sink) {
        this.raw = raw;
        this.sink = sink;
    }

    void feed(Buffer chunk) {
        if (raw) {
            sink.output(1, chunk.getBytes());
            return;
        }
        pending.appendBuffer(chunk);
        int pos = 0;
        while (pending.length() - pos >= 8) {
            int stream = pending.getByte(pos);
            int size = pending.getInt(pos + 4);
            if (pending.length() - pos - 8 < size) {
                break;
            }
            sink.output(stream == 2 ? 2 : 1, pending.getBytes(pos + 8, pos + 8 + size));
            pos += 8 + size;
        }
        pending = pos == 0 ? pending : pending.getBuffer(pos, pending.length());
    }
}
