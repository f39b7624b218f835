package io.terok.vault.broker;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Joins two open WebSockets (Vert.x does the framing): data frames go both ways, closing either side closes the
 * other with the same code and reason. Towards the client, the real secret becomes the phantom: a text message is
 * collected whole (up to a limit) and redacted before it is sent; a binary message streams frame by frame through
 * a {@link Redactor} (only a possible partial match at a frame's end is held back, until the message's last frame).
 * Frames are re-cut to at most 64 KiB, the default limit of most WebSocket peers.
 * Pings are answered by Vert.x on each side; backpressure is passed on (a full side pauses the other).
 */
final class WebSocketBridge {
    private static final Logger LOG = Logger.getLogger(WebSocketBridge.class);
    /** Frames are sent no larger than the common 64 KiB default, whatever size they came in. */
    private static final int FRAME_BYTES = 65536;
    private static final int FRAME_CHARS = 16384;

    private WebSocketBridge() {
    }

    /**
     * @param client the task's side (frames from upstream are redacted on their way to it)
     * @param onClose run once, when the first side closes
     */
    static void join(WebSocketBase client, WebSocketBase upstream, String secret, String phantom, long maxMessageBytes,
                     Runnable onClose) {
        AtomicBoolean closed = new AtomicBoolean();
        Runnable done = () -> {
            if (closed.compareAndSet(false, true)) {
                onClose.run();
            }
        };
        new Pipe(upstream, client, secret, phantom, maxMessageBytes, done).start();
        new Pipe(client, upstream, null, null, maxMessageBytes, done).start();
    }

    private static final class Pipe {
        private final WebSocketBase from;
        private final WebSocketBase to;
        private final String secret;
        private final String phantom;
        private final long max;
        private final Runnable done;
        private WebSocketFrameType type;
        private Buffer text;
        private Redactor redactor;

        Pipe(WebSocketBase from, WebSocketBase to, String secret, String phantom, long max, Runnable done) {
            this.from = from;
            this.to = to;
            this.secret = secret;
            this.phantom = phantom;
            this.max = max;
            this.done = done;
        }

        void start() {
            from.frameHandler(this::frame);
            from.closeHandler(v -> {
                closeOther();
                done.run();
            });
            from.exceptionHandler(e -> {
                LOG.debugf("websocket bridge: %s", e.getMessage());
                if (!to.isClosed()) {
                    to.close((short) 1011);
                }
                if (!from.isClosed()) {
                    from.close((short) 1011);
                }
            });
        }

        private void frame(WebSocketFrame f) {
            try {
                forward(f);
            } catch (IllegalStateException closed) {
                // The other side closed between frames (it may live on another event loop); its close handler
                // closes this side too, so the frame has nowhere to go.
                LOG.debugf("websocket bridge: frame after close: %s", closed.getMessage());
            }
        }

        private void forward(WebSocketFrame f) {
            if (to.isClosed()) {
                return;
            }
            switch (f.type()) {
                case TEXT -> {
                    type = WebSocketFrameType.TEXT;
                    text = Buffer.buffer();
                    text(f);
                }
                case BINARY -> {
                    type = WebSocketFrameType.BINARY;
                    redactor = secret == null ? null : new Redactor(secret, phantom);
                    binary(f, true);
                }
                case CONTINUATION -> {
                    if (type == WebSocketFrameType.TEXT) {
                        text(f);
                    } else if (type == WebSocketFrameType.BINARY) {
                        binary(f, false);
                    }
                }
                default -> {
                    // ping, pong and close are handled by Vert.x on each side
                }
            }
            if (to.writeQueueFull()) {
                from.pause();
                to.drainHandler(v -> from.resume());
            }
        }

        private void text(WebSocketFrame f) {
            text.appendBuffer(f.binaryData());
            if (text.length() > max) {
                LOG.warnf("websocket text message over %d bytes: closing both sides", max);
                text = null;
                type = null;
                from.close((short) 1009, "message too big");
                to.close((short) 1009, "message too big");
                return;
            }
            if (f.isFinal()) {
                String message = text.toString(StandardCharsets.UTF_8);
                text = null;
                type = null;
                sendText(secret == null ? message : Redactor.redact(message, secret, phantom));
            }
        }

        /** A text message in frames of at most 16 Ki chars (48 KiB), cut between code points. */
        private void sendText(String m) {
            int from = 0;
            boolean first = true;
            do {
                int end = Math.min(m.length(), from + FRAME_CHARS);
                if (end < m.length() && Character.isHighSurrogate(m.charAt(end - 1))) {
                    end--;
                }
                String part = m.substring(from, end);
                boolean last = end >= m.length();
                to.writeFrame(first ? WebSocketFrame.textFrame(part, last)
                        : WebSocketFrame.continuationFrame(Buffer.buffer(part), last));
                first = false;
                from = end;
            } while (from < m.length());
        }

        /** Binary data in frames of at most 64 KiB. */
        private void sendBinary(byte[] data, boolean first, boolean fin) {
            int from = 0;
            do {
                int end = Math.min(data.length, from + FRAME_BYTES);
                Buffer b = Buffer.buffer(java.util.Arrays.copyOfRange(data, from, end));
                boolean last = fin && end >= data.length;
                to.writeFrame(first ? WebSocketFrame.binaryFrame(b, last) : WebSocketFrame.continuationFrame(b, last));
                first = false;
                from = end;
            } while (from < data.length);
        }

        private void binary(WebSocketFrame f, boolean first) {
            byte[] data = f.binaryData().getBytes();
            if (redactor != null) {
                data = redactor.transform(data);
                if (f.isFinal()) {
                    byte[] rest = redactor.drain();
                    if (rest.length > 0) {
                        byte[] all = new byte[data.length + rest.length];
                        System.arraycopy(data, 0, all, 0, data.length);
                        System.arraycopy(rest, 0, all, data.length, rest.length);
                        data = all;
                    }
                }
            }
            sendBinary(data, first, f.isFinal());
            if (f.isFinal()) {
                type = null;
                redactor = null;
            }
        }

        /** The other side gets the same close code and reason (codes that must not be sent become 1000 or 1011). */
        private void closeOther() {
            if (to.isClosed()) {
                return;
            }
            Short code = from.closeStatusCode();
            short c = code == null || code == 1005 ? 1000 : code == 1006 || code == 1015 ? 1011 : code;
            String reason = from.closeReason();
            if (reason != null && secret != null) {
                reason = Redactor.redact(reason, secret, phantom);
            }
            try {
                if (reason == null || reason.isEmpty()) {
                    to.close(c);
                } else {
                    to.close(c, reason);
                }
            } catch (RuntimeException e) {
                to.close();
            }
        }
    }
}
