package io.terok.cli.spare;

import io.terok.cli.core.Verb;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import picocli.CommandLine.Command;

/** {@code terok cli-spare stop}: ends the waiting spare CLI process (bin/terok's head start), if there is one. */
@Command(name = "cli-spare", description = "The spare CLI process bin/terok keeps ready (TEROK_NO_SPARE=1: none).",
        subcommands = SpareCommand.Stop.class)
public final class SpareCommand {
    @Command(name = "stop", description = "End the waiting spare CLI process; the next command starts cold and leaves a new one.")
    static final class Stop extends Verb {
        @Override
        public Integer call() {
            ctx().out.println(stop(Spare.dir(ctx().paths)) ? "terok: the spare CLI process ended" : "terok: no spare CLI process was waiting");
            return 0;
        }
    }

    /** Asks the spare waiting in {@code dir} to end and waits until it has closed the connection. False: none was. */
    public static boolean stop(Path dir) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(Spare.socket(dir)));
            c.write(ByteBuffer.allocate(4).putInt(SpareRequest.STOP).flip());
            c.read(ByteBuffer.allocate(1)); // -1 once the spare has given up its socket and exits
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
