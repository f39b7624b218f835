package io.terok.vault.store;

import io.terok.common.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * SQLCipher's native library (inside the sqlite-jdbc jar) from a copy kept in a private directory, instead of the
 * driver's own extraction into {@code /tmp} at every start: that extraction (inflate, write, a byte-by-byte comparison
 * of the copy with the jar's entry, a scan of {@code /tmp} for stale copies) cost the vault's start about 0.1 s of
 * CPU, and every killed vault left a 1.1 MB copy behind in {@code /tmp}.
 *
 * <p>The copy is trusted only when (1) its directory is a real directory (no symlink) owned by this user with no
 * permission for anyone else, and (2) its bytes equal the jar's entry, compared in full at every start (a few ms): a
 * copy that was altered, truncated or is of another driver version is rewritten from the jar before it is loaded.
 * Whoever could swap it between that check and the load already writes as this user (the directory is 0700). When
 * the directory cannot be made private (or the load from it fails, e.g. on a {@code noexec} mount), the driver's own
 * extraction into {@code java.io.tmpdir} runs as before.
 */
public final class SqlCipherLibrary {
    /** What sqlite-jdbc reads to load its library from a directory of ours. */
    static final String PATH_PROPERTY = "org.sqlite.lib.path";
    static final String NAME_PROPERTY = "org.sqlite.lib.name";
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private SqlCipherLibrary() {
    }

    /**
     * Makes {@code dir} private, checks or rewrites the copy there and points the driver at it (system properties the
     * driver reads when it loads its library, at its first connection). Call before the driver's first use.
     *
     * @return the checked copy; empty when the driver keeps loading its own way (nothing here fails the vault: its
     *         open reports whatever the driver then meets)
     */
    public static Optional<Path> use(Path dir) {
        Optional<Path> copy = resource().flatMap(r -> prepare(dir, r.substring(r.lastIndexOf('/') + 1),
                SqlCipherLibrary.class.getResourceAsStream(r)));
        copy.ifPresent(file -> {
            System.setProperty(PATH_PROPERTY, file.getParent().toString());
            System.setProperty(NAME_PROPERTY, file.getFileName().toString());
            // org.sqlite.tmpdir stays: should the load from here fail (a noexec mount), the driver's own extraction
            // still goes to java.io.tmpdir, as before, not into this same directory
        });
        return copy;
    }

    /**
     * The jar's entry for this machine ({@code /org/sqlite/native/Linux/x86_64/libsqlitejdbc.so}), or empty where
     * the driver's own choice is left to run: other than Linux on x86_64 or aarch64, or a JVM on musl (whose library
     * is another entry). Not the driver's {@code OSInfo}: it resolves every link in {@code /proc/self/map_files} to
     * tell musl, about 50 ms at each start; one read of {@code /proc/self/maps} tells it here.
     */
    static Optional<String> resource() {
        String arch = switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64" -> "aarch64";
            default -> "";
        };
        if (arch.isEmpty() || !"Linux".equals(System.getProperty("os.name"))) {
            return Optional.empty();
        }
        try {
            if (Files.readString(Path.of("/proc/self/maps")).contains("musl")) {
                return Optional.empty();
            }
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty();
        }
        return Optional.of("/org/sqlite/native/Linux/" + arch + "/" + System.mapLibraryName("sqlitejdbc"));
    }

    /**
     * The checked copy of {@code library} (the jar's entry {@code name}; closed here) in {@code dir}: the one there when it is equal,
     * else a fresh one. Empty when there is no entry for this machine or {@code dir} cannot be made private.
     */
    static Optional<Path> prepare(Path dir, String name, InputStream library) {
        if (library == null) {
            return Optional.empty(); // no library for this machine in the jar: the driver explains
        }
        byte[] expected;
        try (InputStream in = library) {
            expected = in.readAllBytes();
        } catch (IOException e) {
            return Optional.empty();
        }
        try {
            PrivateFiles.directory(dir);
            if (!isPrivate(dir)) {
                return Optional.empty();
            }
            CRC32 crc = new CRC32();
            crc.update(expected);
            // The content in the directory's name: two vault versions side by side (an upgrade) keep a copy each. The
            // file keeps the jar's name: should the load from here fail (a noexec mount), the driver looks the same
            // name up in its jar to extract it into java.io.tmpdir as before.
            Path sub = PrivateFiles.directory(dir.resolve(String.format("%08x", crc.getValue())));
            if (!isPrivate(sub)) {
                return Optional.empty();
            }
            Path file = sub.resolve(name);
            if (!equalCopy(file, expected)) {
                PrivateFiles.write(file, expected);
            }
            return Optional.of(file);
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty();
        }
    }

    /** A directory (not a link to one) of this user's (the owner of {@code /proc/self}), closed to everyone else. */
    static boolean isPrivate(Path dir) throws IOException {
        PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return a.isDirectory() && OWNER_ONLY.containsAll(a.permissions())
                && a.owner().equals(Files.getOwner(Path.of("/proc/self")));
    }

    private static boolean equalCopy(Path file, byte[] expected) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) != expected.length) {
            return false;
        }
        return Arrays.equals(Files.readAllBytes(file), expected);
    }
}
