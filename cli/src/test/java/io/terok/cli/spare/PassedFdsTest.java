package io.terok.cli.spare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spare's receipt of the client's descriptors: well-formed ones arrive, and a malformed exchange leaves none open. */
class PassedFdsTest {
    interface Sender extends Library {
        long sendmsg(int sockfd, Pointer msg, int flags);
    }

    private static final Sender LIBC = Native.load("c", Sender.class);

    @TempDir
    Path dir;
    private SocketChannel client;
    private SocketChannel spare;
    private FileInputStream file;

    @BeforeEach
    void connect() throws Exception {
        assertTrue(PassedFds.available(), "JNA and the --add-opens of the surefire configuration");
        Path sock = dir.resolve("sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            client = SocketChannel.open(UnixDomainSocketAddress.of(sock));
            spare = server.accept();
        }
        Path f = Files.writeString(dir.resolve("f"), "content");
        file = new FileInputStream(f.toFile());
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        spare.close();
        file.close();
    }

    /** One one-byte message carrying {@code fds} (SCM_RIGHTS), as the native client sends each descriptor. */
    private void send(int... fds) throws IOException {
        Memory data = new Memory(1);
        data.setByte(0, (byte) 'D');
        Memory iov = new Memory(16);
        iov.setPointer(0, data);
        iov.setLong(8, 1);
        int len = 16 + 4 * fds.length;
        Memory control = new Memory((len + 7) & ~7);
        control.clear();
        control.setLong(0, len);
        control.setInt(8, 1); // SOL_SOCKET
        control.setInt(12, 1); // SCM_RIGHTS
        for (int i = 0; i < fds.length; i++) {
            control.setInt(16 + 4L * i, fds[i]);
        }
        Memory msg = new Memory(56);
        msg.clear();
        msg.setPointer(16, iov);
        msg.setLong(24, 1);
        msg.setPointer(32, control);
        msg.setLong(40, control.size());
        assertEquals(1, LIBC.sendmsg(PassedFds.fdOf(client), msg, 0));
    }

    private int fileFd() throws IOException {
        return fdOf(file.getFD());
    }

    private static int fdOf(FileDescriptor d) {
        try {
            var f = FileDescriptor.class.getDeclaredField("fd");
            f.setAccessible(true);
            return f.getInt(d);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Set<String> openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void wellFormedDescriptorsArriveAsTheClientsOwnFiles() throws Exception {
        int fd = fileFd();
        send(fd);
        send(fd);
        send(fd);
        FileDescriptor[] got = PassedFds.receive(spare, 3);
        try (FileInputStream in = new FileInputStream(got[0])) {
            assertEquals("content", new String(in.readAllBytes()));
        } finally {
            new FileOutputStream(got[1]).close();
            new FileOutputStream(got[2]).close();
        }
    }

    @Test
    void aMessageWithTwoDescriptorsLeavesNoneOpen() throws Exception {
        int fd = fileFd();
        Set<String> before = openFds();
        send(fd, fd);
        assertThrows(IOException.class, () -> PassedFds.receive(spare, 3));
        assertEquals(before, openFds(), "descriptors left open in the spare");
    }

    @Test
    void aFailureAfterSomeArrivedClosesThoseToo() throws Exception {
        int fd = fileFd();
        Set<String> before = openFds();
        send(fd);
        send(fd, fd, fd);
        assertThrows(IOException.class, () -> PassedFds.receive(spare, 3));
        assertEquals(before, openFds(), "descriptors left open in the spare");
    }

    @Test
    void aClientThatHangsUpAfterOneLeavesNoneOpen() throws Exception {
        send(fileFd());
        client.close();
        Set<String> before = openFds(); // the one in flight is not in this process's table until received
        assertThrows(IOException.class, () -> PassedFds.receive(spare, 3));
        assertEquals(before, openFds(), "descriptors left open in the spare");
    }
}
