package io.terok.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@code podman system service} of the caller's own, on a socket in {@code dir}, reading a private containers.conf
 * whose {@code hooks_dir} is the shield's hooks directory under test. The machine's containers.conf and hooks stay
 * untouched, so a test's firewall hook never runs for anyone else's containers.
 */
public final class PrivatePodman implements AutoCloseable {
    public final Path socket;
    public final Path conf;
    private final Process service;

    public PrivatePodman(Path dir, Path hooksDir) throws IOException, InterruptedException {
        this(dir, hooksDir, java.util.List.of());
    }

    /**
     * @param runAs a prefix that runs a command as another user (e.g. {@code bin/test-user}); that user must own
     *              {@code dir}, and the service is then that user's rootless podman
     */
    public PrivatePodman(Path dir, Path hooksDir, java.util.List<String> runAs) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        conf = dir.resolve("containers.conf");
        // The two settings this machine's podman 4.3.1 needs (shared/notes/machine.md), plus the hooks dir.
        Files.writeString(conf, "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n\n"
                + "[engine]\nruntime = \"runc\"\nhooks_dir = [\"" + hooksDir + "\"]\n");
        socket = dir.resolve("podman.sock");
        java.util.List<String> cmd = new java.util.ArrayList<>(runAs);
        // through `env`: a prefix such as bin/test-user sets the environment afresh
        cmd.addAll(java.util.List.of("env", "CONTAINERS_CONF=" + conf, "podman", "system", "service", "--time=0", "unix://" + socket));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true).redirectOutput(dir.resolve("podman-service.log").toFile());
        service = pb.start();
        for (int i = 0; i < 100 && !Files.exists(socket); i++) {
            Thread.sleep(100);
        }
        if (!Files.exists(socket)) {
            close();
            throw new IllegalStateException("podman system service did not create " + socket + " (see "
                    + dir.resolve("podman-service.log") + ")");
        }
    }

    @Override
    public void close() {
        Cmd.stop(service);
    }
}
