package io.terok.runtime.podman;

import io.terok.common.PrivateFiles;
import io.terok.common.TerokPaths;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Finds the podman API socket to use: the configured one, else the user's standard one
 * ({@code $XDG_RUNTIME_DIR/podman/podman.sock}, {@code /run/podman/podman.sock} as root). When none
 * answers and starting is allowed, runs {@code podman system service} on a socket of our own and stops it
 * again when the service shuts down.
 */
public final class PodmanEndpoint implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PodmanEndpoint.class);
    private Process ownService;

    public Path resolve(LibpodClientFactory factory, Path configured, Path runtimeDir, boolean startService, Path logFile) {
        List<Path> candidates = configured != null ? List.of(configured) : standardSockets();
        for (Path p : candidates) {
            if (factory.ping(p)) {
                LOG.infof("using podman API at %s", p);
                return p;
            }
        }
        if (configured != null && !startService) {
            throw new PodmanException(0, "podman API at " + configured + " does not answer; start it with "
                    + "`systemctl --user enable --now podman.socket` or let terok start one (terok.podman.start-service=true)");
        }
        Path own = configured != null ? configured : PrivateFiles.directory(runtimeDir).resolve("podman.sock");
        if (!startService) {
            throw new PodmanException(0, "no podman API answers on " + candidates + " and terok.podman.start-service=false");
        }
        start(own, logFile);
        for (int i = 0; i < 100; i++) {
            if (factory.ping(own)) {
                LOG.infof("started podman API service on %s (pid %d)", own, ownService.pid());
                return own;
            }
            if (!ownService.isAlive()) {
                break;
            }
            sleep(100);
        }
        close();
        throw new PodmanException(0, "podman system service did not come up on " + own + "; see " + logFile + " and `podman info`");
    }

    private void start(Path socket, Path logFile) {
        try {
            PrivateFiles.directory(logFile.getParent());
            ownService = new ProcessBuilder("podman", "system", "service", "--time=0", "unix://" + socket)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new PodmanException(0, "cannot run podman (is it installed and on PATH?): " + e.getMessage());
        }
    }

    private static List<Path> standardSockets() {
        if (TerokPaths.isRoot()) {
            return List.of(Path.of("/run/podman/podman.sock"));
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        return xdg == null ? List.of() : List.of(Path.of(xdg, "podman", "podman.sock"));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        Process p = ownService;
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        ownService = null;
    }

    /** Pings a candidate socket; separate so the endpoint logic does not depend on Vert.x. */
    public interface LibpodClientFactory {
        boolean ping(Path socket);
    }

    static Duration pingTimeout() {
        return Duration.ofSeconds(2);
    }
}
