package io.terok.vault;

import io.terok.common.PrivateFiles;
import io.terok.common.ServiceException;
import io.terok.vault.Vault.Status;
import io.terok.vault.passphrase.PassphraseChain;
import io.terok.vault.passphrase.PassphraseTier;
import io.terok.vault.passphrase.TierFailedException;
import io.terok.vault.store.VaultDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;
import org.jboss.logging.Logger;

/**
 * Whether the vault is locked or unlocked: the passphrase from the caller or the tier chain, the database key
 * (re-key), and the hold {@code terok panic} leaves. The only part that opens and closes the {@link VaultStorage}.
 */
public final class VaultSeal {
    private static final Logger LOG = Logger.getLogger(VaultSeal.class);

    private final Path file;
    /**
     * Present while the vault is held locked ({@code terok panic}): the service then does not unlock itself from its
     * tiers at start, so a restart (or a crash the agent provoked) cannot undo the panic; only the operator's explicit
     * unlock removes it. A file beside the database, so it lives and dies with the vault's own data.
     */
    private final Path holdFile;
    private final VaultStorage storage;
    private final Clock clock;
    private final IntSupplier loadedCredentials;
    private final IntSupplier loadedTokens;
    private final List<Runnable> unlockListeners = new CopyOnWriteArrayList<>();
    private volatile PassphraseChain chain;
    private volatile String tier = "";
    private volatile String error = "";
    private String passphrase;

    /** {@code loadedCredentials}, {@code loadedTokens}: what the unlock log line counts. */
    VaultSeal(Path file, PassphraseChain chain, VaultStorage storage, Clock clock, IntSupplier loadedCredentials,
              IntSupplier loadedTokens) {
        this.file = file;
        this.holdFile = holdFile(file);
        this.chain = chain;
        this.storage = storage;
        this.clock = clock;
        this.loadedCredentials = loadedCredentials;
        this.loadedTokens = loadedTokens;
    }

    public Path file() {
        return file;
    }

    /** The hold {@code terok panic} leaves beside the database {@code file}. */
    static Path holdFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".held");
    }

    public PassphraseChain chain() {
        return chain;
    }

    /**
     * After {@code terok setup} stored a generated passphrase in a tier: use the chain the new configuration gives and
     * create the database with that passphrase. Refused when the vault is open or a database file exists.
     */
    public Status provisioned(PassphraseChain next, String tierName, String pass) {
        return storage.exclusive(() -> {
            if (storage.isOpen() || initialized()) {
                throw ServiceException.precondition("the vault already has a database at " + file + "; setup never replaces it");
            }
            chain = next;
            open(pass, tierName);
            error = "";
            releaseHold(); // the operator's setup created and opened it: as explicit as an unlock
            LOG.infof("vault created with a generated passphrase kept in the %s tier", tierName);
            return status();
        });
    }

    public Status status() {
        boolean open = storage.isOpen();
        boolean unlocking = storage.startup().running();
        return new Status(open || initialized(), open, open ? tier : "", file, storage.schemaVersion(),
                unlocking ? "unlocking (the vault service has just started)" : error, heldSince(), unlocking);
    }

    private String heldSince() {
        try {
            return Files.exists(holdFile) ? Files.readString(holdFile).strip() : "";
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")"; // still held: the file is there
        }
    }

    private boolean initialized() {
        try {
            return Files.size(file) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * At service start: unlock through the tier chain if one holds the passphrase; otherwise stay locked. A held vault
     * stays locked whatever its tiers hold.
     *
     * @return why the unlock failed (a tier that failed, a database that would not open); empty when the vault is
     *         unlocked or deliberately locked (held by `terok panic`, or no tier holds a passphrase yet)
     */
    public String autoUnlock() {
        return autoUnlock(Optional.empty());
    }

    /**
     * As {@link #autoUnlock()}, with the tier chain's outcome when it already ran for this file and chain (the unlock
     * at start, begun before the service's beans: {@link EarlyOpen}); discarded when the vault is held.
     */
    String autoUnlock(Optional<TierOpen> early) {
        String held = heldSince();
        if (!held.isEmpty()) {
            early.ifPresent(TierOpen::discard);
            error = "held locked by `terok panic` since " + held + ": `terok vault unlock` lifts the hold";
            LOG.warnf("vault stays locked: %s", error);
            return "";
        }
        try {
            unlock("", early);
        } catch (ServiceException e) {
            LOG.warnf("vault stays locked: %s", e.getMessage());
            return error; // unlockExclusive leaves it empty when no tier holds a passphrase, the reason otherwise
        }
        return "";
    }

    /** Runs after every successful unlock (outside the vault's lock), e.g. to re-open the SSH agents of live tasks. */
    public void onUnlock(Runnable listener) {
        unlockListeners.add(listener);
    }

    /** @param given the passphrase from the caller (the CLI's prompt); empty: resolve through the tier chain */
    public Status unlock(String given) {
        return unlock(given, Optional.empty());
    }

    private Status unlock(String given, Optional<TierOpen> early) {
        boolean wasLocked = !storage.isOpen();
        Status s = storage.exclusive(() -> unlockExclusive(given, early));
        if (s.unlocked()) {
            releaseHold();
            s = status();
        }
        if (wasLocked && s.unlocked()) {
            for (Runnable r : unlockListeners) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.errorf(e, "after unlock: %s", e.getMessage());
                }
            }
        }
        return s;
    }

    private Status unlockExclusive(String given, Optional<TierOpen> early) {
        if (storage.isOpen()) {
            early.ifPresent(TierOpen::discard);
            if (!given.isEmpty() && !samePassphrase(given)) {
                throw ServiceException.denied("wrong passphrase for " + file);
            }
            return status();
        }
        String pass;
        String from;
        if (!given.isEmpty()) {
            pass = given;
            from = "prompt";
            try {
                open(pass, from);
            } catch (ServiceException e) {
                error = e.getMessage();
                throw e;
            }
        } else {
            TierOpen outcome = early.orElseGet(() -> TierOpen.run(chain, file));
            if (outcome instanceof TierOpen.TierFailed f) {
                error = f.reason();
                throw ServiceException.precondition(f.reason());
            }
            if (outcome instanceof TierOpen.OpenFailed f) {
                error = f.failure().getMessage();
                throw f.failure();
            }
            if (!(outcome instanceof TierOpen.Opened o)) {
                error = "";
                throw ServiceException.precondition("no passphrase tier holds the vault passphrase"
                        + (initialized() ? ": run `terok vault unlock`" : ": run `terok vault unlock --prompt` to create it with a passphrase, or configure a passphrase tier"));
            }
            try {
                attach(o.db(), o.passphrase(), o.tier());
            } catch (ServiceException e) {
                error = e.getMessage();
                throw e;
            }
            pass = o.passphrase();
            from = o.tier();
        }
        error = "";
        if (from.equals("prompt")) {
            cache(pass);
        }
        LOG.infof("vault unlocked (%s, schema %d, %d credentials, %d live tokens)", from, storage.schemaVersion(),
                loadedCredentials.getAsInt(), loadedTokens.getAsInt());
        return status();
    }

    private boolean samePassphrase(String given) {
        return PhantomTokens.sameHash(PhantomTokens.hash(given), PhantomTokens.hash(passphrase));
    }

    private void cache(String pass) {
        Optional<PassphraseTier> c = chain.cache();
        if (c.isPresent()) {
            try {
                c.get().forget();
                c.get().store(pass);
            } catch (RuntimeException e) {
                LOG.warnf("could not keep the passphrase in the %s: %s", c.get().name(), e.getMessage());
            }
        }
    }

    /**
     * Locks the vault: every phantom token and SSH agent stops working at once. With {@code hold} ({@code terok panic})
     * it also stays locked across service restarts until the operator unlocks it explicitly.
     */
    public Status lock(boolean hold) {
        return storage.exclusive(() -> {
            close();
            try {
                chain.cache().ifPresent(PassphraseTier::forget);
            } catch (RuntimeException e) {
                LOG.warnf("could not clear the passphrase cache: %s", e.getMessage());
            }
            if (hold && heldSince().isEmpty()) {
                try {
                    // before the first unlock the vault's directory may not exist yet; a hold must not need a database
                    if (!Files.isDirectory(holdFile.getParent())) {
                        PrivateFiles.directory(holdFile.getParent());
                    }
                    PrivateFiles.write(holdFile, Instant.now(clock).truncatedTo(ChronoUnit.SECONDS) + "\n");
                } catch (UncheckedIOException e) {
                    throw ServiceException.precondition("the vault is locked, but the hold could not be recorded (" + e.getMessage()
                            + "): a restart of the vault service would unlock it again from its passphrase tier");
                }
            }
            LOG.info(hold ? "vault locked and held (terok panic): it stays locked across restarts until `terok vault unlock`"
                    : "vault locked");
            return status();
        });
    }

    public Status changePassphrase(String current, String next) {
        if (next == null || next.isEmpty()) {
            throw ServiceException.invalid("new_passphrase", "must not be empty");
        }
        return storage.exclusive(() -> {
            String old = current;
            boolean open = storage.isOpen();
            if (open) {
                if (!current.isEmpty() && !samePassphrase(current)) {
                    throw ServiceException.denied("current_passphrase: wrong passphrase for " + file);
                }
                if (chain.tier(tier).map(t -> !t.writable() && !t.canStore()).orElse(false)) {
                    throw ServiceException.precondition("the passphrase comes from the " + tier + " tier, which terok cannot"
                            + " rewrite: change it there and re-key with `terok vault passphrase change` after unsetting it");
                }
                old = passphrase;
            } else if (current.isEmpty()) {
                throw ServiceException.invalid("current_passphrase", "required while the vault is locked");
            }
            String from = open ? tier : "prompt";
            close();
            try {
                VaultDatabase.rekey(file, old, next);
            } catch (ServiceException e) {
                // The file still has the old key (SQLCipher rekeys in one transaction): reopen as it was.
                reopen(old, from);
                throw e;
            }
            reopen(next, from);
            cache(next);
            saveInTier(from, next);
            LOG.info("vault passphrase changed (database re-keyed in place)");
            return status();
        });
    }

    /** A re-key while a writable tier (systemd-creds file, Secret Service) holds the passphrase updates that tier. */
    private void saveInTier(String from, String next) {
        Optional<PassphraseTier> t = chain.tier(from).filter(PassphraseTier::writable);
        if (t.isEmpty()) {
            return;
        }
        try {
            t.get().save(next);
        } catch (TierFailedException e) {
            throw ServiceException.precondition("the database was re-keyed, but the " + from + " tier still holds the old"
                    + " passphrase (" + e.getMessage() + "): the vault stays unlocked; fix the tier and run"
                    + " `terok vault passphrase change` again, or unlock with `terok vault unlock --prompt` after a restart");
        }
    }

    private void reopen(String pass, String from) {
        open(pass, from);
        releaseHold(); // the operator gave the passphrase: an explicit unlock
    }

    private void open(String pass, String from) {
        attach(VaultDatabase.open(file, pass), pass, from);
    }

    private void attach(VaultDatabase opened, String pass, String from) {
        try {
            storage.attach(opened);
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
        passphrase = pass;
        tier = from;
    }

    /** Closes the database; the caller holds the storage's exclusive lock. */
    void close() {
        storage.detach();
        passphrase = null;
        tier = "";
    }

    /** The operator unlocked the vault: a hold from {@code terok panic} is over. */
    private void releaseHold() {
        try {
            if (Files.deleteIfExists(holdFile)) {
                error = "";
                LOG.info("vault hold lifted by the operator's unlock");
            }
        } catch (IOException e) {
            LOG.warnf("could not remove %s (the vault is unlocked; it will stay locked after a restart until unlocked again): %s",
                    holdFile, e.getMessage());
        }
    }
}
