package io.terok.vault;

import io.terok.common.ServiceException;
import io.terok.vault.passphrase.PassphraseChain;
import io.terok.vault.passphrase.TierFailedException;
import io.terok.vault.store.VaultDatabase;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The two slow steps of an unlock through the tiers, in one place for the unlock at start and a later one: resolve
 * the passphrase through the tier chain, then open the database with it (SQLCipher's key derivation). The outcome is a
 * value, so that the unlock at start can run these steps before the service's beans exist ({@link EarlyOpen}) and
 * {@link VaultSeal} applies it exactly as if it had run them itself.
 */
sealed interface TierOpen {
    /** A tier held the passphrase and the database opened with it; not yet the vault's (no cache loaded). */
    record Opened(String tier, String passphrase, VaultDatabase db) implements TierOpen {
        @Override
        public String toString() {
            return "Opened[tier=" + tier + ", " + db.file() + "]"; // never the passphrase
        }
    }

    /** No tier holds a passphrase (the vault stays locked, deliberately). */
    record NoPassphrase() implements TierOpen {
    }

    /** A configured tier failed (fail closed: the chain stops there). */
    record TierFailed(String reason) implements TierOpen {
    }

    /** The passphrase came, the database did not open with it (wrong passphrase, locked, corrupt). */
    record OpenFailed(String tier, ServiceException failure) implements TierOpen {
    }

    static TierOpen run(PassphraseChain chain, Path file) {
        Optional<PassphraseChain.Resolved> r;
        try {
            r = chain.resolve();
        } catch (TierFailedException e) {
            return new TierFailed(e.getMessage());
        }
        if (r.isEmpty()) {
            return new NoPassphrase();
        }
        try {
            return new Opened(r.get().tier(), r.get().passphrase(), VaultDatabase.open(file, r.get().passphrase()));
        } catch (ServiceException e) {
            return new OpenFailed(r.get().tier(), e);
        }
    }

    /** Closes what this outcome opened, when it is not going to be used. */
    default void discard() {
        if (this instanceof Opened o) {
            o.db().close();
        }
    }
}
