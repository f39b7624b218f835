package io.terok.service;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.DomainSocketServerStart;
import io.terok.common.PrivateFiles;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Keeps the service's Unix socket private to its owner: the directory is 0700 before the server binds, and
 * the socket is narrowed to 0600 once Quarkus reports it bound (that event is only fired asynchronously); then
 * {@link ServiceReadiness} learns that the socket is there.
 */
@ApplicationScoped
public class ServiceSocket {
    @ConfigProperty(name = "quarkus.http.domain-socket")
    String socket;

    @ConfigProperty(name = "quarkus.http.domain-socket-enabled", defaultValue = "false")
    boolean enabled;

    @Inject
    ServiceReadiness readiness;

    void prepareDirectory(@Observes @Priority(1) StartupEvent event) {
        // Without a socket of its own (the console serves no gRPC) the setting is Quarkus's default,
        // /var/run/io.quarkus.app.socket: making its directory private would chmod the host's /run 0700 as root.
        if (!enabled) {
            return;
        }
        PrivateFiles.directory(Path.of(socket).getParent());
    }

    void restrict(@ObservesAsync DomainSocketServerStart event) {
        if (!enabled) {
            return;
        }
        Path path = Path.of(socket);
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot restrict " + path + " to its owner: " + e.getMessage(), e);
        }
        readiness.bound(path.toString()); // logs "serving gRPC" unless a part still holds the start back
    }
}
