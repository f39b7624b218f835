package io.terok.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceSocketTest {

    /**
     * The console serves no gRPC socket, so Quarkus's default socket setting (/var/run/io.quarkus.app.socket) is
     * what the bean sees: before the fix it made that directory 0700, which as root turned the host's /run private
     * and broke every other user's runtime directory (rootless podman: "mkdir /run/user: permission denied").
     */
    @Test
    void withoutASocketOfItsOwnTheDirectoryIsLeftAsItIs(@TempDir Path dir) throws Exception {
        Path shared = Files.createDirectory(dir.resolve("run"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        ServiceSocket s = new ServiceSocket();
        s.socket = shared.resolve("io.quarkus.app.socket").toString();
        s.enabled = false;

        s.prepareDirectory(null);

        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));
    }

    @Test
    void aServiceSocketsDirectoryIsMadePrivate(@TempDir Path dir) throws Exception {
        Path own = Files.createDirectory(dir.resolve("terok"));
        Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("rwxr-xr-x"));
        ServiceSocket s = new ServiceSocket();
        s.socket = own.resolve("vault.sock").toString();
        s.enabled = true;

        s.prepareDirectory(null);

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(own)));
    }
}
