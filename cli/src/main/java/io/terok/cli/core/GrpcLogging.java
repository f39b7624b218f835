package io.terok.cli.core;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * grpc-java and Netty log through java.util.logging; their warnings are noise for a command-line user unless
 * --debug. Set before the first gRPC channel, and only in the real process: an embedding JVM's logging is left
 * alone, and verbs without gRPC never pay for initialising java.util.logging.
 */
public final class GrpcLogging {
    /** java.util.logging holds loggers weakly; a collected logger would lose its level. */
    private static final Logger[] KEPT = new Logger[2];

    private GrpcLogging() {
    }

    public static void quiet(boolean debug) {
        Level level = debug ? Level.INFO : Level.OFF;
        Logger.getLogger("io.grpc").setLevel(level);
        Logger.getLogger("io.netty").setLevel(level);
        KEPT[0] = Logger.getLogger("io.grpc");
        KEPT[1] = Logger.getLogger("io.netty");
    }
}
