package io.terok.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A small real filesystem (an ext4 image, loop-mounted) over a directory, for "the disk is full" faults: what the
 * directory held is copied onto it first, so a service that keeps files there goes on finding them. {@link #fill}
 * takes all but a given number of bytes with one preallocated file in {@code lost+found}, {@link #free} gives them
 * back; {@link #close} unmounts (lazily when a service still holds a file open there) and deletes the image, leaving
 * the directory as it was before the mount. Needs root (mount).
 */
public final class SmallDisk implements AutoCloseable {
    private final Path image;
    private final Path mountPoint;
    private boolean mounted;

    private SmallDisk(Path image, Path mountPoint) {
        this.image = image;
        this.mountPoint = mountPoint;
    }

    /**
     * Mounts a new {@code megabytes} MB ext4 (no reserved blocks, so a full disk is full for root too) over
     * {@code dir}, which must exist, with a copy of what {@code dir} holds; the image is {@code image}.
     */
    public static SmallDisk over(Path dir, Path image, int megabytes) throws IOException {
        Cmd.require(List.of("mkfs.ext4", "mount", "umount", "mountpoint", "fallocate", "truncate", "df", "cp"));
        SmallDisk disk = new SmallDisk(image, dir);
        Path staging = Files.createTempDirectory(image.toAbsolutePath().getParent(), "small-disk-staging");
        try {
            Cmd.ok("truncate", "-s", megabytes + "M", image.toString());
            Cmd.ok("mkfs.ext4", "-q", "-F", "-m", "0", image.toString());
            Cmd.ok("mount", "-o", "loop", image.toString(), staging.toString());
            try {
                Cmd.ok("cp", "-a", dir + "/.", staging + "/");
            } finally {
                Cmd.ok("umount", staging.toString());
            }
            Cmd.ok("mount", "-o", "loop", image.toString(), dir.toString());
            disk.mounted = true;
            return disk;
        } catch (RuntimeException e) {
            disk.close();
            throw e;
        } finally {
            Files.deleteIfExists(staging);
        }
    }

    /** The bytes still free on the filesystem, as {@code df} counts them. */
    public long available() {
        String out = Cmd.ok("df", "--output=avail", "-B1", mountPoint.toString());
        return Long.parseLong(out.strip().lines().reduce((a, b) -> b).orElseThrow().strip());
    }

    /**
     * Takes all but about {@code leftBytes} of the free space (replacing an earlier filling). What df counts as
     * available is not all a file can get (the file's own extent blocks come out of it too), so a refused allocation
     * is retried a little smaller: up to about 1 MB more may stay free.
     */
    public void fill(long leftBytes) throws IOException {
        free();
        long take = available() - leftBytes;
        for (int attempt = 0; take > 0; attempt++) {
            Cmd.Result r = Cmd.run("fallocate", "-l", Long.toString(take), filler().toString());
            if (r.code() == 0) {
                return;
            }
            Files.deleteIfExists(filler());
            if (attempt == 15 || !r.out().contains("No space left")) {
                throw new IllegalStateException("fallocate -l " + take + " " + filler() + " exited " + r.code() + ": " + r.out().strip());
            }
            take -= 64 << 10;
        }
    }

    /** Gives the space {@link #fill} took back. */
    public void free() throws IOException {
        Files.deleteIfExists(filler());
    }

    private Path filler() {
        return mountPoint.resolve("lost+found/filler");
    }

    public Path mountPoint() {
        return mountPoint;
    }

    @Override
    public void close() {
        if (mounted && Cmd.run("mountpoint", "-q", mountPoint.toString()).code() == 0
                && Cmd.run("umount", mountPoint.toString()).code() != 0) {
            Cmd.run("umount", "-l", mountPoint.toString()); // a service still holds a file open there
        }
        mounted = false;
        Cmd.run("rm", "-f", image.toString());
    }
}
