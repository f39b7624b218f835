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

    /** The refusal of every call that needs the secrets while the vault is locked. */
    public static ServiceException locked() {
        return ServiceException.precondition("the vault is locked: run `terok vault unlock`");
    }

    void register(Cache cache) {
        caches.add(cache);
    }

    public boolean isOpen() {
        return db != null;
    }

    /** Refuses with {@link #locked()} unless the vault is unlocked (a check, no lock held afterwards). */
    public void requireOpen() {
        if (db == null) {
            throw locked();
        }
    }

    /** Runs {@code work} on the open database under the shared lock; a locked vault: {@link #locked()}. */
    public <T> T withOpen(Function<VaultDatabase, T> work) {
        lock.readLock().lock();
        try {
            VaultDatabase d = db;
            if (d == null) {
                throw locked();
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
