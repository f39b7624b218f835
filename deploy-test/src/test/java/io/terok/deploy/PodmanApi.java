package io.terok.deploy;

import io.terok.testsupport.Cmd;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * podman's REST API (Docker-compatible) on the socket the surefire configuration gives Testcontainers as DOCKER_HOST:
 * {@code podman system service} started by the test itself and stopped (by its own pid) afterwards.
 */
final class PodmanApi implements AutoCloseable {
    static final Path SOCKET = Path.of(System.getenv().getOrDefault("DOCKER_HOST", "unix:///run/terok-deploy-test/podman.sock")
            .replaceFirst("^unix://", ""));

    private final Process process;

    private PodmanApi(Process process) {
        this.process = process;
    }

    static PodmanApi start() throws IOException, InterruptedException {
        Files.createDirectories(SOCKET.getParent());
        if (connects()) {
            return new PodmanApi(null); // one left from an earlier run of these tests: use it
        }
        Files.deleteIfExists(SOCKET);
        Process p = Cmd.spawn("podman", "system", "service", "--time=0", "unix://" + SOCKET);
        for (int i = 0; i < 200 && !connects(); i++) {
            if (!p.isAlive()) {
                throw new AssertionError("podman system service exited with " + p.exitValue());
            }
            Thread.sleep(50);
        }
        if (!connects()) {
            Cmd.stop(p);
            throw new AssertionError("podman system service did not listen on " + SOCKET + " within 10 s");
        }
        return new PodmanApi(p);
    }

    static boolean connects() {
        if (!Files.exists(SOCKET)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(SOCKET));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException, IOException {
        if (process != null) {
            Cmd.stop(process);
            Files.deleteIfExists(SOCKET);
        }
    }
}
