package io.terok.vault.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

/**
 * Another process on the vault's file, as a sqlcipher shell or a backup tool would be: it opens the database with the
 * key, takes the write lock inside a transaction that writes a row, says "locked", and holds it until its standard
 * input closes; then it rolls back.
 */
public final class LockHolder {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        try (Connection c = new org.sqlite.JDBC().connect(VaultDatabase.url(file), VaultDatabase.properties(args[1]));
             Statement s = c.createStatement()) {
            // BEGIN EXCLUSIVE (the vault's WAL mode makes it the write lock; readers still read)
            c.setAutoCommit(false);
            s.execute("INSERT INTO credentials (credential_set, provider, kind, secret, updated_at)"
                    + " VALUES ('default', 'theirs', 'api_key', 'x', 1)");
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // held until the test closes our input
            }
            c.rollback();
        }
    }
}
