package io.terok.runtime.podman;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hijacked connection against a Unix socket server of the test's own, playing podman's answers. */
class HijackedStreamTest {
    @TempDir
    Path dir;

    private Path serve(Consumer<SocketChannel> podman) throws IOException {
        Path socket = dir.resolve("podman.sock");
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(() -> {
            try (server; SocketChannel c = server.accept()) {
                podman.accept(c);
            } catch (IOException e) {
                // the test is over
            }
        });
        t.setDaemon(true);
        t.start();
        return socket;
    }

    private static void write(SocketChannel c, String s) {
        try {
            c.write(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static String readSome(SocketChannel c) {
        try {
            ByteBuffer b = ByteBuffer.allocate(4096);
            c.read(b);
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /**
     * One whole request: its head and the body its Content-Length announces. The client writes head and body apart,
     * so one read may end between them; the body left unread was then taken for the next input (flaky under load).
     */
    private static String readRequest(SocketChannel c) {
        StringBuilder request = new StringBuilder();
        int headEnd;
        while ((headEnd = request.indexOf("\r\n\r\n")) < 0 || request.length() < headEnd + 4 + contentLength(request)) {
            String more = readSome(c);
            if (more.isEmpty()) {
                break;
            }
            request.append(more);
        }
        return request.toString();
    }

    private static int contentLength(CharSequence request) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\r\ncontent-length: *(\\d+)").matcher(request);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    @Test
    void afterTheUpgradeBothDirectionsFlowAtOnce() throws Exception {
        Path socket = serve(c -> {
            String request = readRequest(c);
            if (!request.startsWith("POST /x HTTP/1.1") || !request.contains("Upgrade: tcp")) {
                return;
            }
            // The first output byte comes in the same write as the head: it must not be lost.
            write(c, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\n"
                    + "Upgrade: tcp\r\n\r\n$ ");
            String typed = readSome(c);
            write(c, "got:" + typed);
        });
        try (HijackedStream s = HijackedStream.open(socket, "/x", "{}", "start", Duration.ofSeconds(5))) {
            byte[] prompt = s.input().readNBytes(2);
            assertEquals("$ ", new String(prompt, StandardCharsets.UTF_8));
            // A reader is blocked on the stream while the input is written: the write must not wait for it.
            Thread reader = new Thread(() -> {
                try {
                    byte[] b = s.input().readNBytes(9);
                    assertEquals("got:hello", new String(b, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            reader.start();
            Thread.sleep(100);
            s.output().write("hello".getBytes(StandardCharsets.UTF_8));
            reader.join(5000);
            assertTrue(!reader.isAlive(), "the answer to the input arrived");
        }
    }

    @Test
    void podmansRefusalIsItsMessage() throws Exception {
        String body = "{\"cause\":\"no such container\",\"message\":\"no container with name or ID \\\"x\\\" found\",\"response\":404}";
        Path socket = serve(c -> {
            readRequest(c);
            write(c, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body);
        });
        PodmanException e = assertThrows(PodmanException.class,
                () -> HijackedStream.open(socket, "/x", null, "attach to container x", Duration.ofSeconds(5)));
        assertEquals("podman could not attach to container x: no container with name or ID \"x\" found", e.getMessage());
    }

    @Test
    void aPodmanThatNeverAnswersTimesOut() throws Exception {
        Path socket = serve(c -> {
            readRequest(c);
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long start = System.nanoTime();
        PodmanException e = assertThrows(PodmanException.class,
                () -> HijackedStream.open(socket, "/x", null, "attach to container x", Duration.ofMillis(500)));
        assertTrue(e.timedOut(), e.getMessage());
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "bounded by the timeout");
    }
}
