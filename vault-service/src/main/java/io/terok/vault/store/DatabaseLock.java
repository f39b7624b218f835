package io.terok.vault.store;

import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The vault database held by another process (a {@code sqlcipher} shell or a backup tool inside a transaction): the
 * driver waits its busy timeout, then fails with SQLITE_BUSY deep inside Hibernate or Flyway. This turns that into
 * one line that names the file, the process holding it (from {@code /proc/locks}) and the fix; the transaction was
 * rolled back, so nothing of the call was written.
 */
public final class DatabaseLock {
    private DatabaseLock() {
    }

    /** The clear error when {@code failure} is the database being locked; empty for any other failure. */
    public static Optional<ServiceException> explain(Path file, Throwable failure) {
        if (!isLocked(failure)) {
            return Optional.empty();
        }
        return Optional.of(new ServiceException(ServiceException.Kind.PRECONDITION, "the vault database " + file
                + " is locked by another process (" + holders(file) + ") and stayed locked for "
                + VaultDatabase.BUSY_TIMEOUT_SECONDS + " s; nothing was written. Close that process (a sqlcipher shell or a "
                + "backup holding a transaction on the file), then retry", failure));
    }

    static boolean isLocked(Throwable failure) {
        Set<Throwable> seen = new java.util.HashSet<>();
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof SQLiteException s) {
                SQLiteErrorCode c = s.getResultCode();
                if (c != null && (c.code & 0xff) == SQLiteErrorCode.SQLITE_BUSY.code
                        || c != null && (c.code & 0xff) == SQLiteErrorCode.SQLITE_LOCKED.code) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Who holds a POSIX lock on the database or its WAL/shm files, other than this process: "pid N: command line"
     * for each, or "holder unknown" (another user's process, or a lock this process cannot see).
     */
    static String holders(Path file) {
        Set<String> inodes = new LinkedHashSet<>();
        for (String suffix : List.of("", "-wal", "-shm")) {
            inode(Path.of(file + suffix)).ifPresent(inodes::add);
        }
        Set<Long> pids = new LinkedHashSet<>();
        long self = ProcessHandle.current().pid();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/locks"), StandardCharsets.US_ASCII)) {
                // "1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 1073741824 1073741825"
                String[] f = line.trim().split("\\s+");
                if (f.length < 6 || f[1].equals("->")) {
                    continue;
                }
                if (inodes.contains(f[5]) && !f[4].equals(Long.toString(self))) {
                    try {
                        pids.add(Long.parseLong(f[4]));
                    } catch (NumberFormatException e) {
                        // not a pid: skip the line
                    }
                }
            }
        } catch (IOException e) {
            return "holder unknown";
        }
        if (pids.isEmpty()) {
            return "holder unknown";
        }
        List<String> named = pids.stream().map(p -> "pid " + p + ": " + commandLine(p)).toList();
        return String.join(", ", named);
    }

    private static String commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            String s = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
            return s.isEmpty() ? "?" : Printable.line(s, 120);
        } catch (IOException e) {
            return "?";
        }
    }

    /** "MAJOR:MINOR:INODE" as /proc/locks spells it (major and minor in hex). */
    private static Optional<String> inode(Path p) {
        try {
            long ino = (Long) Files.getAttribute(p, "unix:ino");
            long dev = (Long) Files.getAttribute(p, "unix:dev");
            long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
            long minor = (dev & 0xff) | ((dev >>> 12) & 0xffffff00L);
            return Optional.of(String.format("%02x:%02x:%d", major, minor, ino));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
