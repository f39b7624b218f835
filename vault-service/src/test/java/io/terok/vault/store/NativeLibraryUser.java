package io.terok.vault.store;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A vault process's start as far as SQLCipher's library goes: the preload with the private directory, then an open of
 * the database; prints the schema version and every mapping of the driver's library this process has (from where
 * it was loaded).
 */
public final class NativeLibraryUser {
    public static void main(String[] args) throws Exception {
        VaultDatabase.preload(Path.of(args[0]));
        try (VaultDatabase db = VaultDatabase.open(Path.of(args[1]), args[2])) {
            System.out.println("schema " + db.schemaVersion());
        }
        Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(l -> l.contains("sqlitejdbc"))
                .map(l -> "mapped " + l.substring(l.indexOf('/')))
                .distinct()
                .forEach(System.out::println);
    }
}
