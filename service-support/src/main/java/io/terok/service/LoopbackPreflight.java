package io.terok.service;

import io.smallrye.config.source.yaml.YamlConfigSource;
import io.terok.common.TerokPaths;
import io.terok.common.ports.LoopbackListener;
import io.terok.common.ports.PortHolder;
import io.terok.common.ports.PortRegistry;
import io.terok.common.ports.PortTakenException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Runs in a service's main method before Quarkus starts: decides the port of the service's loopback listener (the
 * operator's setting, else this user's recorded one, see {@link PortRegistry}), checks that nothing holds it, and
 * hands it to Quarkus as a system property. A taken port ends the process with one line on stderr (the journal, or
 * the log `terok services up` points at) instead of Vert.x's "Address already in use" stack trace.
 */
public final class LoopbackPreflight {
    /** Exit status of a service whose port is taken (EX_CONFIG: the fix is a setting). */
    public static final int PORT_TAKEN = 78;

    private LoopbackPreflight() {
    }

    public static void claim(LoopbackListener listener) {
        TerokPaths paths = TerokPaths.current();
        try {
            Optional<String> configured = Optional.ofNullable(System.getProperty(listener.key()))
                    .or(() -> listener.configured(System.getenv(), key -> fromFile(paths.configFile(), key)));
            int port = listener.resolve(configured, PortRegistry.forUser(paths, System.getenv()), PortHolder.host());
            System.setProperty(listener.key(), Integer.toString(port));
            System.setProperty("quarkus.http.port", Integer.toString(port));
        } catch (PortTakenException | IllegalArgumentException | IllegalStateException e) {
            System.err.println("terok: " + e.getMessage());
            System.exit(PORT_TAKEN);
        }
    }

    private static Optional<String> fromFile(Path file, String key) {
        if (!Files.isReadable(file)) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(new YamlConfigSource(file.toUri().toURL(), 0).getValue(key));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
