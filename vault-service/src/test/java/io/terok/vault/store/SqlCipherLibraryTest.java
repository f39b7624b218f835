package io.terok.vault.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SQLCipher's library is loaded from a checked copy in a private directory: a tampered copy is replaced by the jar's
 * bytes before the driver loads it, a directory that is not private is not used (the driver extracts as before), and
 * nothing lands in {@code java.io.tmpdir}. The loads run in a child JVM each: the driver loads its library once per JVM.
 */
class SqlCipherLibraryTest {
    @TempDir
    Path dir;

    private static byte[] jarLibrary() throws IOException {
        try (InputStream in = SqlCipherLibrary.class.getResourceAsStream(SqlCipherLibrary.resource().orElseThrow())) {
            return in.readAllBytes();
        }
    }

    @Test
    void aTamperedCopyIsReplacedByTheJarsLibraryBeforeTheVaultLoadsIt() throws Exception {
        byte[] library = jarLibrary();
        Path nativeDir = dir.resolve("state/vault/native");
        Path copy = SqlCipherLibrary.prepare(nativeDir, "libsqlitejdbc.so", new ByteArrayInputStream(library)).orElseThrow();
        byte[] tampered = library.clone();
        tampered[tampered.length / 2] ^= 0x5a; // same size, one byte changed
        Files.write(copy, tampered);

        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        List<String> out = runVault(nativeDir, tmp);

        assertTrue(out.contains("schema " + VaultDatabase.SCHEMA_VERSION), out.toString());
        assertEquals(List.of("mapped " + copy), out.stream().filter(l -> l.startsWith("mapped ")).toList(),
                "the driver's library is the private copy, nothing else");
        assertArrayEquals(library, Files.readAllBytes(copy), "the tampered copy was rewritten from the jar");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(nativeDir)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(copy.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(copy)));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "no extraction into java.io.tmpdir");
        }
    }

    @Test
    void aDirectoryReachedThroughALinkIsNotUsed() throws Exception {
        Path real = Files.createDirectories(dir.resolve("elsewhere"));
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rwx------"));
        Path link = Files.createSymbolicLink(dir.resolve("native"), real);
        Path tmp = Files.createDirectories(dir.resolve("tmp"));

        List<String> out = runVault(link, tmp);

        assertTrue(out.contains("schema " + VaultDatabase.SCHEMA_VERSION), out.toString());
        List<String> mapped = out.stream().filter(l -> l.startsWith("mapped ")).toList();
        assertEquals(1, mapped.size(), out.toString());
        assertTrue(mapped.get(0).startsWith("mapped " + tmp + "/"), "the driver's own extraction, as before: " + mapped);
        try (Stream<Path> inLink = Files.list(real)) {
            assertEquals(List.of(), inLink.toList(), "nothing written through the link");
        }
    }

    @Test
    void aGoodCopyIsKeptAndAShortOneRewritten() throws Exception {
        byte[] library = jarLibrary();
        Path copy = SqlCipherLibrary.prepare(dir, "libsqlitejdbc.so", new ByteArrayInputStream(library)).orElseThrow();
        FileTime written = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(copy, written);
        assertEquals(copy, SqlCipherLibrary.prepare(dir, "libsqlitejdbc.so", new ByteArrayInputStream(library)).orElseThrow());
        assertEquals(written, Files.getLastModifiedTime(copy), "an equal copy is not rewritten");

        Files.write(copy, "truncated".getBytes(StandardCharsets.US_ASCII));
        SqlCipherLibrary.prepare(dir, "libsqlitejdbc.so", new ByteArrayInputStream(library)).orElseThrow();
        assertArrayEquals(library, Files.readAllBytes(copy));
    }

    @Test
    void onlyAnOwnDirectoryClosedToOthersIsPrivate() throws Exception {
        assertFalse(SqlCipherLibrary.isPrivate(Path.of("/tmp")), "world-writable");
        Path open = Files.createDirectories(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-x---"));
        assertFalse(SqlCipherLibrary.isPrivate(open), "group may read");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwx------"));
        assertTrue(SqlCipherLibrary.isPrivate(open));
    }

    /** A vault process's preload and open with {@code nativeDir}; its output lines. */
    private List<String> runVault(Path nativeDir, Path tmp) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), NativeLibraryUser.class.getName(),
                nativeDir.toString(), dir.resolve("vault/credentials.db").toString(), "right horse battery")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the vault process ended: " + out);
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }
}
