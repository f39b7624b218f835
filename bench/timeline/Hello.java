// The floor of a JVM client (docs/benchmarks.md, seventh session): connect to a Unix socket, write a line, read the answer.
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.net.StandardProtocolFamily;
public class Hello {
    public static void main(String[] a) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(a[0]));
            ch.write(ByteBuffer.wrap("hello\n".getBytes()));
            ByteBuffer b = ByteBuffer.allocate(64);
            ch.read(b);
            System.out.println("exit " + new String(b.array(), 0, b.position()).trim());
        }
        System.exit(0);
    }
}
