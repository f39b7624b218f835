package io.terok.testsupport;

import io.terok.common.HostProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A podman image and container store of a test's own (CONTAINERS_STORAGE_CONF naming a private graphroot and runroot),
 * so a test that imports, removes or lists images never sees or touches the machine's, and the busybox root
 * filesystem bin/prepare-host caches, to import as a small image. Missing podman or the tarball fails the test.
 */
public record PrivateStorage(Path dir, Path conf, Path busyboxRootfs) {
    static final Path BUSYBOX_ROOTFS = Path.of("/var/cache/terok-ci/busybox-rootfs.tar");

    public static PrivateStorage create(String prefix) throws IOException {
        if (HostProcess.which("podman") == null) {
            throw new AssertionError("podman is not installed (bin/prepare-host installs it)");
        }
        if (!Files.isRegularFile(BUSYBOX_ROOTFS)) {
            throw new AssertionError("missing " + BUSYBOX_ROOTFS + " (run bin/prepare-host)");
        }
        Path dir = Files.createTempDirectory(prefix);
        Path conf = dir.resolve("storage.conf");
        Files.writeString(conf, "[storage]\ndriver = \"overlay\"\ngraphroot = \"" + dir.resolve("root")
                + "\"\nrunroot = \"" + dir.resolve("runroot") + "\"\n");
        return new PrivateStorage(dir, conf, BUSYBOX_ROOTFS);
    }
}
