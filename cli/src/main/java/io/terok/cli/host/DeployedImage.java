package io.terok.cli.host;

import io.terok.common.ServiceName;
import java.nio.file.Path;
import java.util.Locale;

/**
 * An image the Quadlet deployment runs: the five services and the web console (a gRPC client of theirs, not a
 * service of its own: it has no socket and is no {@link ServiceName}). Each is built from its module's
 * {@code target/quarkus-app/} with {@code deploy/images/Containerfile.<id>}.
 */
enum DeployedImage {
    RUNTIME, VAULT, GATE, SHIELD, CLEARANCE, CONSOLE;

    /** Lower-case name: the image's {@code localhost/terok-<id>:latest} and its Containerfile's suffix. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The Maven module that builds it, relative to the checkout. */
    Path module() {
        return Path.of(this == CONSOLE ? "console" : id() + "-service");
    }

    static DeployedImage of(ServiceName s) {
        return valueOf(s.name());
    }
}
