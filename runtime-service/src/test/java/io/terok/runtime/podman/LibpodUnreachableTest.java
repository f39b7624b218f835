package io.terok.runtime.podman;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** podman's API socket gone: the error names podman's API service, the socket and how to bring it back. */
class LibpodUnreachableTest {
    @Test
    void aGoneSocketNamesPodmanAndTheFix(@TempDir Path dir) {
        Vertx vertx = Vertx.vertx();
        try {
            Path socket = dir.resolve("podman.sock");
            LibpodClient podman = new LibpodClient(vertx, socket, Duration.ofSeconds(5));
            PodmanException e = assertThrows(PodmanException.class, () -> podman.inspect("c1"));
            assertTrue(e.getMessage().startsWith("podman's API service at " + socket + " is not reachable ("), e.getMessage());
            assertTrue(e.getMessage().contains("systemctl --user start podman.socket")
                    && e.getMessage().contains("terok services down && terok services up"), e.getMessage());
        } finally {
            vertx.close();
        }
    }
}
