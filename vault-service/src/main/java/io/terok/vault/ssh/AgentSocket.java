package io.terok.vault.ssh;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * One task's agent: a Unix socket (JDK {@link UnixDomainSocketAddress}, no native code) served by one accepting
 * thread and one thread per connection. Requests on a connection are answered in order, as the protocol wants.
 * A length of 0 or over {@link AgentProtocol#MAX_MESSAGE}, a truncated or malformed message close the connection;
 * at most {@value #MAX_CONNECTIONS} connections at a time (more are closed at once). {@link #close()} stops
 * accepting, cuts every live connection and deletes the socket file.
 */
public final class AgentSocket implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AgentSocket.class);
    static final int MAX_CONNECTIONS = 32;

    private final Path path;
    private final String name;
    private final AgentProtocol protocol;
    private final ServerSocketChannel server;
    private final Set<SocketChannel> live = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private volatile long lastActivity = System.nanoTime();

    /**
     * Binds {@code path} (a stale file there is replaced) with mode {@code socketMode} and starts serving.
     *
     * @param name for thread names and log lines (the task)
     */
    public AgentSocket(Path path, String name, AgentProtocol protocol, String socketMode) throws IOException {
        this.path = path;
        this.name = name;
        this.protocol = protocol;
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(socketMode));
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(path);
            throw e;
        }
        Thread t = new Thread(this::acceptLoop, "ssh-agent-" + name);
        t.setDaemon(true);
        t.start();
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.warnf("ssh agent of %s stops accepting: %s", name, e.getMessage());
                }
                return;
            }
            if (live.size() >= MAX_CONNECTIONS) {
                LOG.warnf("ssh agent of %s: more than %d connections, closing the new one", name, MAX_CONNECTIONS);
                quietly(c);
                continue;
            }
            live.add(c);
            lastActivity = System.nanoTime();
            if (closed) {
                quietly(c);
                return;
            }
            Thread t = new Thread(() -> serve(c), "ssh-agent-" + name + "-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            ByteBuffer len = ByteBuffer.allocate(4);
            while (!closed) {
                len.clear();
                if (!readFully(c, len)) {
                    return;
                }
                long n = len.flip().getInt() & 0xffffffffL;
                if (n == 0 || n > AgentProtocol.MAX_MESSAGE) {
                    LOG.warnf("ssh agent of %s: a message of %d bytes (limit %d), closing the connection", name, n, AgentProtocol.MAX_MESSAGE);
                    return;
                }
                ByteBuffer msg = ByteBuffer.allocate((int) n);
                if (!readFully(c, msg)) {
                    return;
                }
                lastActivity = System.nanoTime();
                byte[] answer;
                try {
                    answer = protocol.handle(msg.array());
                } catch (SshWire.FormatException e) {
                    LOG.warnf("ssh agent of %s: malformed message (%s), closing the connection", name, e.getMessage());
                    return;
                }
                ByteBuffer out = ByteBuffer.wrap(AgentProtocol.frame(answer));
                while (out.hasRemaining()) {
                    c.write(out);
                }
            }
        } catch (IOException e) {
            // the client went away, or close() cut the connection
        } catch (RuntimeException e) {
            LOG.errorf(e, "ssh agent of %s failed on a request; closing the connection", name);
        } finally {
            live.remove(c);
        }
    }

    /** @return false at a clean end of stream before the first byte; a stream cut mid-way is an IOException */
    private static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                if (b.position() == 0) {
                    return false;
                }
                throw new IOException("truncated message");
            }
        }
        return true;
    }

    private static void quietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** {@link System#nanoTime()} of the last accepted connection or request (idle timeouts). */
    public long lastActivity() {
        return lastActivity;
    }

    /** The number of open connections (tests, idle timeouts). */
    public int connections() {
        return live.size();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        live.forEach(AgentSocket::quietly);
        live.clear();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warnf("cannot delete %s: %s", path, e.getMessage());
        }
    }
}
