package io.terok.vault.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ServiceException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real SQLCipher file: unreadable without the key, survives reopening, migrates from schema 1. */
class VaultDatabaseTest {
    @TempDir
    Path dir;

    @Test
    void theFileIsEncryptedAndOnlyTheRightKeyOpensIt() throws Exception {
        Path file = dir.resolve("vault/credentials.db");
        try (VaultDatabase db = VaultDatabase.open(file, "right horse battery")) {
            assertEquals(VaultDatabase.SCHEMA_VERSION, db.schemaVersion());
            db.inTransaction(s -> {
                CredentialRow c = new CredentialRow();
                c.credentialSet = "default";
                c.provider = "anthropic";
                c.kind = "api_key";
                c.secret = "sk-ant-REAL-SECRET-4242";
                c.updatedAt = 1;
                c.save(s);
                return null;
            });
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        byte[] bytes = Files.readAllBytes(file);
        byte[] head = Arrays.copyOf(bytes, 16);
        assertFalse(Arrays.equals("SQLite format 3\0".getBytes(StandardCharsets.US_ASCII), head), "no SQLite header");
        assertFalse(new String(bytes, StandardCharsets.ISO_8859_1).contains("REAL-SECRET"), "secret not in clear");
        assertFalse(new String(bytes, StandardCharsets.ISO_8859_1).contains("credentials"), "schema not in clear");

        ServiceException wrong = assertThrows(ServiceException.class, () -> VaultDatabase.open(file, "wrong"));
        assertEquals(ServiceException.Kind.DENIED, wrong.kind());
        assertTrue(wrong.getMessage().contains("wrong passphrase") && wrong.getMessage().contains("terok vault unlock"), wrong.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(file), "a wrong key leaves the file untouched");

        try (VaultDatabase db = VaultDatabase.open(file, "right horse battery")) {
            String secret = db.inTransaction(s -> CredentialRow.find(s, "default", "anthropic").secret);
            assertEquals("sk-ant-REAL-SECRET-4242", secret);
        }
    }

    @Test
    void aPlaintextOrCorruptFileIsRefusedAndKept() throws Exception {
        Path plain = dir.resolve("plain.db");
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + plain); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (x)");
        }
        byte[] before = Files.readAllBytes(plain);
        ServiceException e = assertThrows(ServiceException.class, () -> VaultDatabase.open(plain, "pw"));
        assertEquals(ServiceException.Kind.PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("unencrypted") && e.getMessage().contains("terok vault unlock --prompt"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(plain));

        Path junk = dir.resolve("junk.db");
        byte[] noise = new byte[8192];
        new java.util.Random(1).nextBytes(noise);
        Files.write(junk, noise);
        ServiceException j = assertThrows(ServiceException.class, () -> VaultDatabase.open(junk, "pw"));
        assertTrue(j.getMessage().contains("corrupt"), j.getMessage());
        assertArrayEquals(noise, Files.readAllBytes(junk));

        assertThrows(ServiceException.class, () -> VaultDatabase.open(dir.resolve("x.db"), ""));
    }

    @Test
    void schemaOneDataSurvivesTheMigrationToTheNewest() throws Exception {
        Path file = dir.resolve("old.db");
        try (VaultDatabase v1 = VaultDatabase.open(file, "pw", "1"); Connection c = v1.connection(); Statement s = c.createStatement()) {
            assertEquals(1, v1.schemaVersion());
            s.execute("INSERT INTO credentials (credential_set, provider, kind, secret, updated_at) VALUES ('default', 'claude', 'api_key', 'k1', 5)");
            s.execute("INSERT INTO credentials (credential_set, provider, kind, secret, refresh_token, expires_at, updated_at)"
                    + " VALUES ('work', 'gh', 'oauth', 'a1', 'r1', 99, 6)");
            s.execute("INSERT INTO phantom_tokens (id, token_hash, task_id, provider, credential_set, created_at)"
                    + " VALUES ('t1', 'h1', 'task-a', 'claude', 'default', 7)");
        }
        try (VaultDatabase db = VaultDatabase.open(file, "pw")) {
            assertEquals(VaultDatabase.SCHEMA_VERSION, db.schemaVersion());
            List<CredentialRow> creds = db.inTransaction(CredentialRow::all);
            assertEquals(List.of("anthropic", "github"), creds.stream().map(c -> c.provider).toList());
            assertEquals("k1", creds.get(0).secret);
            assertEquals("r1", creds.get(1).refreshToken);
            assertEquals(99L, creds.get(1).expiresAt);
            TokenRow t = db.inTransaction(s -> TokenRow.find(s, "t1"));
            assertEquals("anthropic", t.provider);
            assertEquals("h1", t.tokenHash);
            assertEquals("", t.project);
            assertNull(t.expiresAt);
            try (Connection c = db.connection(); Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT count(*) FROM sqlite_master WHERE name = 'phantom_tokens_task'")) {
                r.next();
                assertEquals(1, r.getInt(1));
            }
        }
    }

    @Test
    void schemaTwoSshKeysSurviveTheMigrationToTheAgentRegistry() throws Exception {
        Path file = dir.resolve("v2.db");
        try (VaultDatabase v2 = VaultDatabase.open(file, "pw", "2"); Connection c = v2.connection(); Statement s = c.createStatement()) {
            assertEquals(2, v2.schemaVersion());
            s.execute("INSERT INTO ssh_keys (key_type, private_key, public_key, fingerprint, comment, created_at)"
                    + " VALUES ('ed25519', X'01', X'02', 'SHA256:abc', 'old key', 11)");
            s.execute("INSERT INTO ssh_key_projects (project, key_id) VALUES ('proj', 1)");
            s.execute("INSERT INTO phantom_tokens (id, token_hash, task_id, provider, credential_set, created_at, project)"
                    + " VALUES ('t2', 'h2', 'task-b', 'anthropic', 'default', 8, 'proj')");
        }
        try (VaultDatabase db = VaultDatabase.open(file, "pw")) {
            assertEquals(VaultDatabase.SCHEMA_VERSION, db.schemaVersion());
            SshKeyRow k = db.inTransaction(s -> SshKeyRow.find(s, 1L));
            assertEquals("SHA256:abc", k.fingerprint);
            assertEquals("old key", k.comment);
            assertEquals("gate", k.use, "a key stored before uses existed is a gate key: never offered to tasks (fail closed)");
            Number assigned = db.inTransaction(s -> Sql.one(s, "SELECT count(*) FROM ssh_key_projects WHERE project = ?",
                    r -> r.getLong(1), "proj"));
            assertEquals(1, assigned.intValue());
            assertEquals("proj", db.inTransaction(s -> TokenRow.find(s, "t2")).project);
            db.inTransaction(s -> {
                SshAgentRow a = new SshAgentRow();
                a.taskId = "task-b";
                a.project = "proj";
                a.createdAt = 9;
                a.upsert(s);
                return null;
            });
            assertEquals(1, db.inTransaction(SshAgentRow::all).size());
        }
    }

    @Test
    void rekeyInPlaceKeepsDataAndRetiresTheOldKey() {
        Path file = dir.resolve("rekey.db");
        try (VaultDatabase db = VaultDatabase.open(file, "old")) {
            db.inTransaction(s -> {
                TokenRow t = new TokenRow();
                t.id = "x";
                t.tokenHash = "h";
                t.taskId = "task";
                t.project = "";
                t.provider = "openai";
                t.credentialSet = "default";
                t.createdAt = 1;
                t.insert(s);
                return null;
            });
        }
        VaultDatabase.rekey(file, "old", "new");
        assertEquals(ServiceException.Kind.DENIED, assertThrows(ServiceException.class, () -> VaultDatabase.open(file, "old")).kind());
        try (VaultDatabase db = VaultDatabase.open(file, "new")) {
            assertEquals("openai", db.inTransaction(s -> TokenRow.find(s, "x")).provider);
        }
    }

    /**
     * A database whose history lists this build's migrations opens without Flyway; one whose history differs in any
     * way still meets Flyway's migration and validation: an altered entry and a newer schema are refused as before.
     */
    @Test
    void onlyAnUnalteredCurrentHistorySkipsFlywayAndAnythingElseIsStillValidated() throws Exception {
        Path file = dir.resolve("history.db");
        try (VaultDatabase db = VaultDatabase.open(file, "pw"); Connection c = db.connection()) {
            assertTrue(VaultDatabase.historyMatches(c), "a database Flyway just migrated matches");
        }
        try (VaultDatabase db = VaultDatabase.open(file, "pw", "4"); Connection c = db.connection()) {
            assertEquals(VaultDatabase.SCHEMA_VERSION, db.schemaVersion(), "reopened at the newest schema");
        }
        Path older = dir.resolve("older.db");
        VaultDatabase.open(older, "pw", "3").close();
        try (VaultDatabase db = VaultDatabase.open(older, "pw"); Connection c = db.connection()) {
            assertEquals(VaultDatabase.SCHEMA_VERSION, db.schemaVersion(), "an older schema is still migrated");
            assertTrue(VaultDatabase.historyMatches(c));
        }

        try (VaultDatabase db = VaultDatabase.open(file, "pw"); Connection c = db.connection(); Statement s = c.createStatement()) {
            s.execute("UPDATE flyway_schema_history SET description = 'Something else' WHERE version = '3'");
            assertFalse(VaultDatabase.historyMatches(c));
        }
        ServiceException altered = assertThrows(ServiceException.class, () -> VaultDatabase.open(file, "pw"));
        assertTrue(altered.getMessage().contains("cannot migrate") && altered.getMessage().contains("Something else"),
                altered.getMessage());

        try (VaultDatabase db = VaultDatabase.open(older, "pw"); Connection c = db.connection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by,"
                    + " execution_time, success) VALUES (99, '99', 'From the future', 'JDBC', 'V99__FromTheFuture', '', 0, 1)");
            assertFalse(VaultDatabase.historyMatches(c));
        }
        ServiceException newer = assertThrows(ServiceException.class, () -> VaultDatabase.open(older, "pw"));
        assertTrue(newer.getMessage().contains("99"), newer.getMessage());
    }

    private static CredentialRow credential(String provider) {
        CredentialRow c = new CredentialRow();
        c.credentialSet = "default";
        c.provider = provider;
        c.kind = "api_key";
        c.secret = "sk-" + provider;
        c.updatedAt = 1;
        return c;
    }

    /**
     * Another process holds an exclusive transaction on the file: a write fails after the busy timeout with one line
     * naming the file, the holder's pid and the fix (before: the ORM's "could not execute statement [SQLITE_BUSY]"
     * as INTERNAL, with a stack trace in the log), nothing is written, and once the holder lets go the same write lands.
     */
    @Test
    void aDatabaseLockedByAnotherProcessFailsNamingTheHolderAndWorksOnceReleased() throws Exception {
        Path file = dir.resolve("vault/credentials.db");
        String pw = "right horse battery";
        try (VaultDatabase db = VaultDatabase.open(file, pw)) {
            Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), LockHolder.class.getName(), file.toString(), pw)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream(),
                        StandardCharsets.UTF_8));
                assertEquals("locked", out.readLine(), "the other process holds the lock");
                long started = System.nanoTime();
                ServiceException e = assertThrows(ServiceException.class, () -> db.inTransaction(s -> {
                    credential("mine").save(s);
                    return null;
                }));
                long waited = (System.nanoTime() - started) / 1_000_000_000L;
                assertTrue(waited < VaultDatabase.BUSY_TIMEOUT_SECONDS + 10, "no hang: " + waited + " s");
                assertEquals(ServiceException.Kind.PRECONDITION, e.kind());
                assertTrue(e.getMessage().startsWith("the vault database " + file + " is locked by another process (pid "
                        + holder.pid() + ": "), e.getMessage());
                assertTrue(e.getMessage().contains("java") && e.getMessage().contains("nothing was written")
                        && e.getMessage().contains("Close that process"), e.getMessage());
                assertFalse(e.getMessage().contains("\n"), "one line");
            } finally {
                holder.getOutputStream().close();
                assertTrue(holder.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
            }
            db.inTransaction(s -> {
                credential("mine").save(s);
                return null;
            });
            List<String> providers = db.inTransaction(s -> CredentialRow.all(s).stream().map(c -> c.provider).toList());
            assertEquals(List.of("mine"), providers, "the failed write left nothing, the holder's rollback neither");
        }
    }
}
