package io.terok.console;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.terok.common.PrivateFiles;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Leaves {@code <runtime dir>/console.port} (0600) while the console listens: {@code terok console} reads it to
 * know where this installation's console is (so it never hands a login to another one on the same port) and
 * removes nothing; the console removes it when it stops.
 */
@ApplicationScoped
public class ConsoleAddress {
    private static final Logger LOG = Logger.getLogger(ConsoleAddress.class);
    public static final String FILE = "console.port";

    @ConfigProperty(name = "terok.runtime-dir")
    Path runtimeDir;
    @ConfigProperty(name = "quarkus.http.host")
    String host;
    @ConfigProperty(name = "quarkus.http.port")
    int port;

    /** The CLI checks the port answers before it uses it, so writing it just before the listener opens is fine. */
    void started(@Observes StartupEvent e) {
        if (LaunchMode.current() == LaunchMode.TEST || port <= 0) {
            return; // a test's random port: nobody looks for it
        }
        PrivateFiles.directory(runtimeDir);
        PrivateFiles.write(runtimeDir.resolve(FILE), port + "\n");
        LOG.infof("console on http://%s:%d (log in with `terok console`)", host, port);
    }

    void stopped(@Observes ShutdownEvent e) {
        try {
            Files.deleteIfExists(runtimeDir.resolve(FILE));
        } catch (IOException ignored) {
            // the next start overwrites it
        }
    }
}
