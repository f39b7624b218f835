package io.terok.runtime.podman;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Locale;

/**
 * One HTTP request to podman's API whose connection podman then hands over to the container's streams ("hijack",
 * with {@code Upgrade: tcp}): attach and exec start. Vert.x's HTTP client cannot give a connection up after the
 * response head, so this speaks the little HTTP it needs over its own Unix socket connection and then leaves a plain
 * byte stream: the container's output to read, its stdin to write. Blocking: each side belongs to one thread.
 */
public final class HijackedStream implements AutoCloseable {
    /** A response head longer than this is not podman's. */
    private static final int MAX_HEAD = 16 * 1024;
    /** An error body is read only this far: it becomes a message. */
    private static final int MAX_ERROR_BODY = 8 * 1024;

    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;

    private HijackedStream(SocketChannel channel, InputStream in, OutputStream out) {
        this.channel = channel;
        this.in = in;
        this.out = out;
    }

    /**
     * Sends {@code POST uri} with a JSON body (or none) and returns the stream once podman answered 101 (or 200,
     * which podman 4 sends when it hijacks without upgrading). Any other answer is a {@link PodmanException} with
     * podman's message and the connection is closed.
     */
    public static HijackedStream open(Path socket, String uri, String jsonBody, String what, Duration timeout) {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new PodmanException("podman at " + socket + " is not reachable: " + e.getMessage(), e);
        }
        // A wedged podman must not hold the caller: the connection is closed if no answer came within the timeout.
        AtomicBoolean answered = new AtomicBoolean();
        SocketChannel pending = ch;
        CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (answered.compareAndSet(false, true)) {
                closeQuietly(pending);
            }
        });
        try {
            // Not Channels.newInputStream/newOutputStream: on a blocking channel both hold its blockingLock for the
            // whole call, so a read waiting for output would hold every keystroke back.
            InputStream in = new ChannelIn(ch);
            OutputStream out = new ChannelOut(ch);
            byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
            String head = "POST " + uri + " HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                    + (jsonBody == null ? "" : "Content-Type: application/json\r\n")
                    + "Content-Length: " + body.length + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            Head response;
            try {
                response = readHead(in);
            } catch (IOException e) {
                if (!pending.isOpen()) {
                    throw PodmanException.timeout("podman did not answer " + what + " within " + timeout.toMillis() + " ms");
                }
                throw e;
            }
            if (response.status != 101 && response.status != 200) {
                String msg = new String(readBody(in, response.contentLength), StandardCharsets.UTF_8);
                throw new PodmanException(response.status, "podman could not " + what + ": " + errorMessage(msg));
            }
            if (!answered.compareAndSet(false, true)) {
                throw PodmanException.timeout("podman did not answer " + what + " within " + timeout.toMillis() + " ms");
            }
            return new HijackedStream(ch, in, out);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new PodmanException("podman at " + socket + " broke off " + what + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** The container's output (raw with a TTY, podman's multiplexed frames without). */
    public InputStream input() {
        return in;
    }

    /** The container's stdin. */
    public OutputStream output() {
        return out;
    }

    /** End of stdin for the container; its output keeps coming. */
    public void closeStdin() {
        try {
            channel.shutdownOutput();
        } catch (IOException e) {
            // already closed: nothing more to tell the container
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private record Head(int status, long contentLength) {
    }

    private static Head readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        // Byte by byte: whatever follows the blank line is already the container's stream.
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before the response head ended");
            }
            head.write(b);
            if (head.size() > MAX_HEAD) {
                throw new IOException("response head longer than " + MAX_HEAD + " bytes");
            }
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + lines[0]);
        }
        int code;
        try {
            code = Integer.parseInt(status[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status: " + lines[0]);
        }
        long length = -1;
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                try {
                    length = Long.parseLong(line.substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    length = -1;
                }
            }
        }
        return new Head(code, length);
    }

    private static byte[] readBody(InputStream in, long contentLength) throws IOException {
        int n = (int) Math.min(contentLength < 0 ? MAX_ERROR_BODY : contentLength, MAX_ERROR_BODY);
        return in.readNBytes(n);
    }

    private static String errorMessage(String body) {
        try {
            String m = new io.vertx.core.json.JsonObject(body).getString("message");
            if (m != null) {
                return m.trim();
            }
        } catch (RuntimeException e) {
            // not podman's JSON error: show the text
        }
        return body.trim();
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing: nothing to do about it
        }
    }

    /** Reads straight from the channel (its read lock only), so a write may run at the same time. */
    private static final class ChannelIn extends InputStream {
        private final SocketChannel ch;

        ChannelIn(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n <= 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n = ch.read(ByteBuffer.wrap(b, off, len));
            return n < 0 ? -1 : n;
        }
    }

    /** Writes straight to the channel (its write lock only). */
    private static final class ChannelOut extends OutputStream {
        private final SocketChannel ch;

        ChannelOut(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }
}
