package io.terok.vault;

import io.terok.common.ServiceException;
import io.terok.vault.store.Sql;
import io.terok.vault.store.VaultDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The vault's storage as its parts see it: the open {@link VaultDatabase} while the vault is unlocked, nothing while it
 * is locked. Reads and writes of the parts ({@link CredentialStore}, {@link TokenStore}, the SSH key store) run under a
 * shared lock; only {@link VaultSeal} opens and closes the database, under the exclusive lock, so a lock never lands
 * between a part's database write and the update of its in-memory view.
 */
public final class VaultStorage {
    /** A part's in-memory view of its rows: loaded when the database opens, dropped when it closes. */
    public interface Cache {
        void load(Connection c) throws SQLException;

        void clear();
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final List<Cache> caches = new CopyOnWriteArrayList<>();
    private volatile VaultDatabase db;
    private volatile StartupUnlock startup = StartupUnlock.none();

    /** The refusal of every call that needs the secrets while the vault is locked. */
    public static ServiceException locked() {
        return ServiceException.precondition("the vault is locked: run `terok vault unlock`");
    }

    /** The refusal while the vault is locked: why the unlock at start failed, if it did. */
    private ServiceException lockedNow() {
        String failure = startup.failure();
        return failure.isEmpty() ? locked() : StartupUnlock.failed(failure);
    }

    StartupUnlock startup() {
        return startup;
    }

    void startup(StartupUnlock unlock) {
        startup = unlock;
    }

    /**
     * Whether the vault is open, after waiting (bounded) for an unlock at start that is still running; blocks, so not
     * for an event loop (the broker uses {@link StartupUnlock#whenFinished()}).
     */
    public boolean isOpenOnceStarted() {
        if (db == null) {
            try {
                startup.await(StartupUnlock.WAIT);
            } catch (ServiceException e) {
                return false; // still unlocking: locked, as far as the caller is concerned
            }
        }
        return db != null;
    }

    void register(Cache cache) {
        caches.add(cache);
    }

    public boolean isOpen() {
        return db != null;
    }

    /**
     * Refuses with {@link #locked()} unless the vault is unlocked (a check, no lock held afterwards); waits for an unlock
     * at start that is still running (bounded: UNAVAILABLE "the vault is unlocking" after {@link StartupUnlock#WAIT}).
     */
    public void requireOpen() {
        if (db == null) {
            startup.await(StartupUnlock.WAIT);
            if (db == null) {
                throw lockedNow();
            }
        }
    }

    /** Runs {@code work} on the open database under the shared lock; a locked vault: {@link #locked()} (as {@link #requireOpen()}). */
    public <T> T withOpen(Function<VaultDatabase, T> work) {
        if (db == null) {
            startup.await(StartupUnlock.WAIT); // before the shared lock: the unlock takes the exclusive one
        }
        lock.readLock().lock();
        try {
            VaultDatabase d = db;
            if (d == null) {
                throw lockedNow();
            }
            return work.apply(d);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** One transaction on the open database; a locked vault: {@link #locked()}. */
    public <T> T inTransaction(Sql.Work<T> work) {
        return withOpen(d -> d.inTransaction(work));
    }

    int schemaVersion() {
        VaultDatabase d = db;
        return d == null ? 0 : d.schemaVersion();
    }

    /** Runs {@code work} under the exclusive lock: no part reads or writes meanwhile. */
    <T> T exclusive(Supplier<T> work) {
        lock.writeLock().lock();
        try {
            return work.get();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Makes {@code opened} the vault's database and loads every part's view from it; call under {@link #exclusive}. */
    void attach(VaultDatabase opened) {
        caches.forEach(Cache::clear);
        opened.inTransaction(c -> {
            for (Cache cache : caches) {
                cache.load(c);
            }
            return null;
        });
        db = opened;
        startup.recovered();
    }

    /** Drops every part's view and closes the database; call under {@link #exclusive}. */
    void detach() {
        caches.forEach(Cache::clear);
        VaultDatabase d = db;
        db = null;
        if (d != null) {
            d.close();
        }
    }
}
