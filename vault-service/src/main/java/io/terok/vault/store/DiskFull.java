package io.terok.vault.store;

import io.terok.common.ServiceException;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The vault database's filesystem full: SQLite fails the write or the commit with SQLITE_FULL (also inside Flyway) and
 * the transaction is rolled back, so the database holds what it held before the call. This turns that into one line that
 * names the file, the filesystem and the fix, instead of an INTERNAL error carrying SQLite's code.
 */
public final class DiskFull {
    private DiskFull() {
    }

    /** The clear error when {@code failure} is the disk being full; empty for any other failure. */
    public static Optional<ServiceException> explain(Path file, Throwable failure) {
        if (!isFull(failure)) {
            return Optional.empty();
        }
        return Optional.of(new ServiceException(ServiceException.Kind.PRECONDITION, "the vault database " + file
                + " cannot grow: the filesystem holding it (" + filesystem(file) + ") is full; nothing was written."
                + " Free space on that filesystem, then retry", failure));
    }

    static boolean isFull(Throwable failure) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof SQLiteException s && s.getResultCode() != null
                    && (s.getResultCode().code & 0xff) == SQLiteErrorCode.SQLITE_FULL.code) {
                return true;
            }
            if (t instanceof IOException && String.valueOf(t.getMessage()).contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }

    /** "MOUNT POINT (DEVICE), N bytes free" as far as the JDK can tell. */
    private static String filesystem(Path file) {
        try {
            FileStore store = Files.getFileStore(file.toAbsolutePath().getParent());
            return store + ", " + store.getUsableSpace() + " bytes free";
        } catch (IOException | RuntimeException e) {
            return "not readable: " + e.getMessage();
        }
    }
}
