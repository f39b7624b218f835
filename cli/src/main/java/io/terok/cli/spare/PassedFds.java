package io.terok.cli.spare;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * File descriptors passed over a Unix socket (SCM_RIGHTS), received with libc's {@code recvmsg} through JNA and
 * turned into {@link FileDescriptor}s. A descriptor received this way is the client's open file itself, not a
 * reopened path: appends, offsets, pipes, sockets and terminals behave as in the client's own process.
 *
 * <p>Not Netty's {@code Socket.recvFd} (on the class path for gRPC): it sets every received descriptor
 * {@code O_NONBLOCK} with {@code F_SETFL}, which clears {@code O_APPEND} (output redirected with {@code >>} was
 * written at offset 0) and makes the user's terminal non-blocking for the shell too.
 *
 * <p>The spare's JVM is started with {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens
 * java.base/java.io=ALL-UNNAMED} (bin/terok) for the two reflective steps: the socket channel's descriptor, and a
 * {@code FileDescriptor} of a number. Linux on a 64-bit ABI only (the {@code msghdr} layout below).
 */
final class PassedFds {
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int EINTR = 4;
    /** CMSG_LEN(sizeof(int)) on LP64: a header of 16 bytes, then the descriptor. */
    private static final int CMSG_LEN_INT = 20;
    private static final int CMSG_HEADER = 16;
    /**
     * Room for this many descriptors in one message: more than the one expected, so that a client that sends several
     * has them all received here and closed, rather than leave the count to the kernel's truncation.
     */
    private static final int MAX_FDS = 16;
    private static final int CONTROL_BYTES = CMSG_HEADER + 4 * MAX_FDS;

    interface LibC extends Library {
        long recvmsg(int sockfd, Pointer msg, int flags) throws LastErrorException;

        int close(int fd);
    }

    private static volatile LibC libc;

    private PassedFds() {
    }

    /** Loads libc through JNA (the spare does it while warming up); false when this platform is not supported. */
    static boolean available() {
        try {
            if (Native.POINTER_SIZE != 8 || Native.SIZE_T_SIZE != 8 || !System.getProperty("os.name").equals("Linux")) {
                return false;
            }
            if (libc == null) {
                libc = Native.load("c", LibC.class);
            }
            fdOf(null);
            wrap(-1);
            return true;
        } catch (Throwable e) {
            return false;
        }
    }

    /**
     * Receives {@code n} descriptors, each sent as its own one-byte message (close-on-exec). On any failure every
     * descriptor received so far, and any that came in a malformed message, is closed before the exception: the spare
     * must not keep a client's file, pipe or terminal open.
     */
    static FileDescriptor[] receive(SocketChannel ch, int n) throws IOException {
        int sock = fdOf(ch);
        int[] got = new int[n];
        int count = 0;
        try {
            while (count < n) {
                got[count] = receiveOne(sock);
                count++;
            }
            FileDescriptor[] out = new FileDescriptor[n];
            for (int i = 0; i < n; i++) {
                out[i] = wrap(got[i]);
            }
            return out;
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < count; i++) {
                libc.close(got[i]);
            }
            throw e;
        }
    }

    private static int receiveOne(int sock) throws IOException {
        Memory data = new Memory(1);
        Memory iov = new Memory(16); // struct iovec { void *iov_base; size_t iov_len; }
        iov.setPointer(0, data);
        iov.setLong(8, 1);
        Memory control = new Memory(CONTROL_BYTES);
        control.clear();
        Memory msg = new Memory(56); // struct msghdr on LP64
        msg.clear();
        msg.setPointer(16, iov); // msg_iov
        msg.setLong(24, 1); // msg_iovlen
        msg.setPointer(32, control); // msg_control
        msg.setLong(40, CONTROL_BYTES); // msg_controllen
        long r;
        while (true) {
            try {
                r = libc.recvmsg(sock, msg, MSG_CMSG_CLOEXEC);
                break;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EINTR) {
                    throw new IOException("recvmsg: errno " + e.getErrorCode());
                }
            }
        }
        List<Integer> fds = descriptors(control, msg.getLong(40));
        boolean one = fds.size() == 1 && control.getLong(0) == CMSG_LEN_INT && (msg.getInt(48) & MSG_CTRUNC) == 0;
        if (r == 1 && one) {
            return fds.get(0);
        }
        fds.forEach(libc::close);
        throw new IOException(r != 1 ? "the client closed the connection before passing its descriptors"
                : "the client's message did not carry exactly one descriptor (" + fds.size() + ")");
    }

    /** Every descriptor in the received control data ({@code length} bytes: the kernel's msg_controllen), in order. */
    static List<Integer> descriptors(Memory control, long length) {
        List<Integer> fds = new ArrayList<>();
        long at = 0;
        long end = Math.min(length, control.size());
        while (at + CMSG_HEADER <= end) {
            long len = control.getLong(at);
            if (len < CMSG_HEADER || at + len > end) {
                break;
            }
            if (control.getInt(at + 8) == SOL_SOCKET && control.getInt(at + 12) == SCM_RIGHTS) {
                for (long p = at + CMSG_HEADER; p + 4 <= at + len; p += 4) {
                    fds.add(control.getInt(p));
                }
            }
            at += (len + 7) & ~7L; // CMSG_ALIGN on LP64
        }
        return fds;
    }

    static int fdOf(SocketChannel ch) throws IOException {
        try {
            Method m = Class.forName("sun.nio.ch.SelChImpl").getMethod("getFDVal");
            m.setAccessible(true);
            return ch == null ? -1 : (int) m.invoke(ch);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot reach the socket's descriptor (JVM started without --add-opens java.base/sun.nio.ch): " + e, e);
        }
    }

    static FileDescriptor wrap(int fd) throws IOException {
        try {
            FileDescriptor d = new FileDescriptor();
            Field f = FileDescriptor.class.getDeclaredField("fd");
            f.setAccessible(true);
            f.setInt(d, fd);
            return d;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot wrap descriptor " + fd + " (JVM started without --add-opens java.base/java.io): " + e, e);
        }
    }
}
