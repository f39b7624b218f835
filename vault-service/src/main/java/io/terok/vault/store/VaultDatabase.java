package io.terok.vault.store;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalDataSourceConfigurationSupplier;
import io.terok.common.ServiceException;
import io.terok.vault.store.migration.V1__Initial;
import io.terok.vault.store.migration.V2__TokenScopeAndProviderNames;
import io.terok.vault.store.migration.V3__SshAgents;
import io.terok.vault.store.migration.V4__SshKeyUse;
import io.terok.vault.store.migration.V5__OAuthAccount;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * The open SQLCipher 4 database: a small connection pool (transaction_mode=IMMEDIATE, so read-then-write
 * transactions queue on the write lock instead of failing with SQLITE_BUSY), Flyway migrations run at open, and plain
 * JDBC transactions over it ({@link Sql}; the tables are a handful, an ORM cost a third of the vault's memory). The key goes to the driver as the {@code key} property, never in the
 * URL, never on disk.
 */
public final class VaultDatabase implements AutoCloseable {
    /** Schema migrations in order; the newest is the version this build expects. */
    public static final List<JavaMigration> MIGRATIONS = List.of(new V1__Initial(), new V2__TokenScopeAndProviderNames(),
            new V3__SshAgents(), new V4__SshKeyUse(), new V5__OAuthAccount());
    public static final int SCHEMA_VERSION = MIGRATIONS.size();
    private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    private static final int POOL_SIZE = 4;
    /** How long a call waits for a lock another process holds on the file before it fails (see {@link DatabaseLock}). */
    static final int BUSY_TIMEOUT_SECONDS = 15;

    private final Path file;
    private final AgroalDataSource pool;
    private final int schemaVersion;

    private VaultDatabase(Path file, AgroalDataSource pool, int schemaVersion) {
        this.file = file;
        this.pool = pool;
        this.schemaVersion = schemaVersion;
    }

    /** Opens (or, when there is no file yet, creates) the database and migrates it to the newest schema. */
    public static VaultDatabase open(Path file, String passphrase) {
        return open(file, passphrase, null);
    }

    /** @param target the schema version to migrate to (tests build older schemas); null: the newest */
    public static VaultDatabase open(Path file, String passphrase, String target) {
        requirePassphrase(passphrase);
        boolean created = prepareFile(file);
        AgroalDataSource pool = pool(file, passphrase);
        try {
            probe(pool, file, created);
            boolean current;
            try (Connection c = pool.getConnection()) {
                current = target == null && historyMatches(c);
            } catch (SQLException e) {
                current = false; // Flyway's own path meets the same failure and explains it
            }
            if (current) {
                // Every migration of this build is recorded as applied, as Flyway would record it: nothing to migrate
                // and nothing Flyway's validation would refuse. Flyway itself (with its Jackson-based configuration)
                // cost the vault's start about a third of its time; any other history goes through Flyway below.
                restrict(file);
                return new VaultDatabase(file, pool, SCHEMA_VERSION);
            }
            Flyway flyway = Flyway.configure()
                    .dataSource(pool)
                    .javaMigrations(MIGRATIONS.toArray(JavaMigration[]::new))
                    .resourceProvider(new NoResources())
                    .javaMigrationClassProvider(List::of)
                    .failOnMissingLocations(false)
                    .cleanDisabled(true)
                    .target(target == null ? "latest" : target)
                    .load();
            flyway.migrate();
            int version = currentVersion(pool);
            if (version > SCHEMA_VERSION) {
                throw new ServiceException(ServiceException.Kind.PRECONDITION, file + " has schema version " + version
                        + ", newer than this terok understands (" + SCHEMA_VERSION + "): upgrade terok");
            }
            restrict(file);
            return new VaultDatabase(file, pool, version);
        } catch (FlywayException e) {
            pool.close();
            explain(file, e).ifPresent(known -> {
                throw known;
            });
            throw new ServiceException(ServiceException.Kind.INTERNAL, "cannot migrate " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    public int schemaVersion() {
        return schemaVersion;
    }

    /**
     * Runs {@code work} in one transaction (BEGIN IMMEDIATE: it holds the write lock from the start), committed when
     * it returns, rolled back when it throws. A database failure becomes a {@link ServiceException}: the lock held by
     * another process or a full disk its clear error ({@link #explain}), anything else INTERNAL naming the file.
     */
    public <T> T inTransaction(Sql.Work<T> work) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            T result;
            try {
                result = work.apply(c);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollback(c, e);
                // Not in a finally: the driver's setAutoCommit(true) commits, and after SQLite rolled a failed
                // transaction back itself (a full disk does that) it throws "no transaction is active", which would
                // hide the failure that matters.
                try {
                    c.setAutoCommit(true);
                } catch (SQLException r) {
                    e.addSuppressed(r);
                }
                throw e;
            }
            c.setAutoCommit(true);
            return result;
        } catch (SQLException e) {
            throw explain(file, e).orElseGet(() -> new ServiceException(ServiceException.Kind.INTERNAL,
                    "the vault database " + file + " failed: " + e.getMessage(), e));
        } catch (RuntimeException e) {
            throw explain(file, e).orElseThrow(() -> e);
        }
    }

    /** The database's own failures a person can fix (locked by another process, its disk full) as one clear line. */
    static java.util.Optional<ServiceException> explain(Path file, Throwable failure) {
        return DatabaseLock.explain(file, failure).or(() -> DiskFull.explain(file, failure));
    }

    private static void rollback(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException r) {
            cause.addSuppressed(r);
        }
    }

    /** A raw connection for work outside the entities (tests, the rekey). */
    public Connection connection() throws SQLException {
        return pool.getConnection();
    }

    /**
     * Re-keys the database in place: the pool is closed, the WAL folded into the file, the journal switched to
     * DELETE (SQLCipher cannot rekey a WAL database), {@code PRAGMA rekey}, then back to WAL. The caller reopens.
     */
    public static void rekey(Path file, String current, String next) {
        requirePassphrase(next);
        try (Connection c = connect(file, current); Statement s = c.createStatement()) {
            s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            try (ResultSet r = s.executeQuery("PRAGMA journal_mode=DELETE")) {
                if (!r.next() || !"delete".equalsIgnoreCase(r.getString(1))) {
                    throw new ServiceException(ServiceException.Kind.PRECONDITION,
                            "cannot re-key " + file + ": the database is in use by another process");
                }
            }
            s.execute("PRAGMA rekey = '" + next.replace("'", "''") + "'");
            s.execute("PRAGMA journal_mode=WAL");
        } catch (SQLException e) {
            throw new ServiceException(ServiceException.Kind.INTERNAL, "cannot re-key " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    private static void requirePassphrase(String passphrase) {
        if (passphrase == null || passphrase.isEmpty()) {
            throw ServiceException.invalid("passphrase", "must not be empty");
        }
    }

    /** @return true when the file was created now (empty) */
    private static boolean prepareFile(Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                return true;
            } catch (FileAlreadyExistsException e) {
                // An existing file is never replaced: check what it is.
            }
            if (!Files.isRegularFile(file)) {
                throw ServiceException.precondition(file + " is not a regular file: move it away");
            }
            long size = Files.size(file);
            if (size == 0) {
                return true;
            }
            byte[] head = new byte[SQLITE_HEADER.length];
            int n;
            try (InputStream in = Files.newInputStream(file)) {
                n = in.readNBytes(head, 0, head.length);
            }
            if (n == head.length && Arrays.equals(head, SQLITE_HEADER)) {
                throw ServiceException.precondition(file + " is an unencrypted SQLite database, not a terok vault;"
                        + " terok never reads or overwrites it: move it away, then run `terok vault unlock --prompt`");
            }
            if (size < 1024) {
                throw ServiceException.precondition(file + " is too short to be a terok vault (" + size
                        + " bytes; corrupt or truncated): restore it from a backup or move it away, then run `terok vault unlock --prompt`");
            }
            return false;
        } catch (IOException e) {
            throw new ServiceException(ServiceException.Kind.INTERNAL, "cannot use " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens the pool's first connection and reads the schema: a wrong key fails here, before any migration. The
     * connection stays in the pool for what follows: each SQLCipher connection derives the key anew (PBKDF2, the
     * slowest step of an unlock), so a separate probe connection cost the vault's start a second derivation.
     */
    private static void probe(AgroalDataSource pool, Path file, boolean created) {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM sqlite_master")) {
            r.next();
        } catch (SQLException e) {
            explain(file, e).ifPresent(known -> {
                throw known;
            });
            String m = messages(e);
            if (!created && (m.contains("NOTADB") || m.contains("not a database") || m.contains("encrypted"))) {
                throw new ServiceException(ServiceException.Kind.DENIED, "wrong passphrase for " + file
                        + " (or the file is corrupt): unlock with the right one (`terok vault unlock`)");
            }
            throw new ServiceException(ServiceException.Kind.INTERNAL, "cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    /** The messages of {@code e} and its causes: the pool may wrap the driver's failure. */
    private static String messages(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null && b.length() < 4096; t = t.getCause()) {
            b.append(t.getMessage()).append('\n');
        }
        return b.toString();
    }

    /**
     * Loads what every open needs before the first one: SQLCipher's native library (unpacked from its jar and loaded),
     * SQLite's initialisation and the pool's classes, through an in-memory database that has no key and touches no
     * file. The service calls it on a thread of its own as it starts, so this part of its unlock runs while Quarkus
     * boots rather than after the socket is bound (about 0.1-0.25 s here). The library comes from a checked copy in
     * {@code nativeDir} ({@link SqlCipherLibrary}). A failure is left to the real open to report.
     */
    public static void preload(Path nativeDir) {
        SqlCipherLibrary.use(nativeDir);
        AgroalDataSourceConfigurationSupplier config = new AgroalDataSourceConfigurationSupplier();
        config.connectionPoolConfiguration(cp -> cp.minSize(0).initialSize(0).maxSize(1)
                .connectionFactoryConfiguration(cf -> cf.connectionProviderClass(org.sqlite.JDBC.class).jdbcUrl("jdbc:sqlite::memory:")));
        try (AgroalDataSource memory = AgroalDataSource.from(config); Connection c = memory.getConnection();
             Statement s = c.createStatement()) {
            s.execute("SELECT 1");
        } catch (SQLException | RuntimeException | LinkageError e) {
            // the real open meets the same failure and explains it
        }
    }

    /** The driver directly, not DriverManager (whose registry depends on the caller's class loader). */
    private static Connection connect(Path file, String passphrase) throws SQLException {
        Connection c = new org.sqlite.JDBC().connect(url(file), properties(passphrase));
        if (c == null) {
            throw new SQLException("the SQLite driver refused " + url(file));
        }
        return c;
    }

    static String url(Path file) {
        return "jdbc:sqlite:file:" + file.toAbsolutePath() + "?cipher=sqlcipher&legacy=4";
    }

    static Properties properties(String passphrase) {
        Properties p = new Properties();
        p.setProperty("key", passphrase);
        p.setProperty("transaction_mode", "IMMEDIATE");
        p.setProperty("journal_mode", "WAL");
        p.setProperty("busy_timeout", Integer.toString(BUSY_TIMEOUT_SECONDS * 1000));
        p.setProperty("foreign_keys", "true");
        return p;
    }

    private static AgroalDataSource pool(Path file, String passphrase) {
        AgroalDataSourceConfigurationSupplier config = new AgroalDataSourceConfigurationSupplier();
        config.connectionPoolConfiguration(cp -> {
            cp.minSize(0).initialSize(0).maxSize(POOL_SIZE).acquisitionTimeout(Duration.ofSeconds(30));
            cp.connectionFactoryConfiguration(cf -> {
                cf.connectionProviderClass(org.sqlite.JDBC.class).jdbcUrl(url(file)).autoCommit(true);
                properties(passphrase).forEach((k, v) -> cf.jdbcProperty((String) k, (String) v));
                return cf;
            });
            return cp;
        });
        try {
            return AgroalDataSource.from(config);
        } catch (SQLException e) {
            throw new ServiceException(ServiceException.Kind.INTERNAL, "cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether the schema history lists exactly {@link #MIGRATIONS}, in order, each applied successfully with the
     * version, description, type, class and checksum Flyway records for it, and nothing else (no failed, pending,
     * newer or repeatable entry). Then Flyway's migrate would do nothing and its validation would pass; anything
     * else (a new file, an older or newer schema, a failed or altered entry) returns false and goes through Flyway.
     */
    static boolean historyMatches(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'flyway_schema_history'")) {
                if (!r.next() || r.getInt(1) != 1) {
                    return false;
                }
            }
            try (ResultSet r = s.executeQuery("SELECT version, description, type, script, checksum, success"
                    + " FROM flyway_schema_history ORDER BY installed_rank")) {
                for (JavaMigration m : MIGRATIONS) {
                    if (!r.next()
                            || !m.getVersion().getVersion().equals(r.getString(1))
                            || !m.getDescription().equals(r.getString(2))
                            || !"JDBC".equals(r.getString(3))
                            || !m.getClass().getName().equals(r.getString(4))
                            || !java.util.Objects.equals(m.getChecksum(), r.getObject(5) == null ? null : r.getInt(5))
                            || r.getInt(6) != 1) {
                        return false;
                    }
                }
                return !r.next();
            }
        }
    }

    private static int currentVersion(AgroalDataSource pool) {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT max(CAST(version AS INTEGER)) FROM flyway_schema_history WHERE success = 1")) {
            return r.next() ? r.getInt(1) : 0;
        } catch (SQLException e) {
            throw new ServiceException(ServiceException.Kind.INTERNAL, "cannot read the schema version: " + e.getMessage(), e);
        }
    }

    private static void restrict(Path file) {
        for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
            Path p = Path.of(file + suffix);
            try {
                if (Files.exists(p)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
                }
            } catch (IOException e) {
                throw new ServiceException(ServiceException.Kind.INTERNAL, "cannot restrict " + p + ": " + e.getMessage(), e);
            }
        }
    }

    /** Migrations are Java classes listed above; Flyway must not scan the class path for more. */
    private static final class NoResources implements org.flywaydb.core.api.ResourceProvider {
        @Override
        public org.flywaydb.core.api.resource.LoadableResource getResource(String name) {
            return null;
        }

        @Override
        public java.util.Collection<org.flywaydb.core.api.resource.LoadableResource> getResources(String prefix, String[] suffixes) {
            return List.of();
        }
    }
}
