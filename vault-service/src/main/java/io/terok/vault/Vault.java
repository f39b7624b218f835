package io.terok.vault;

import io.terok.vault.broker.RouteTable;
import io.terok.vault.passphrase.PassphraseChain;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The vault as the gRPC service, the broker and the gate see it: one front for its parts, which share one
 * {@link VaultStorage} view (the open database while unlocked): {@link VaultSeal} (locked or unlocked, passphrase,
 * hold), {@link CredentialStore} (provider credentials) and {@link TokenStore} (phantom tokens). The types it hands
 * out are declared here.
 */
public final class Vault implements AutoCloseable {
    public static final String DEFAULT_SET = CredentialStore.DEFAULT_SET;
    private static final Logger LOG = Logger.getLogger(Vault.class);

    /**
     * @param heldSince when {@code terok panic} held the vault locked (ISO-8601), empty when it is not held
     * @param unlocking the unlock at service start still runs ({@link StartupUnlock})
     */
    public record Status(boolean initialized, boolean unlocked, String tier, Path database, int schemaVersion, String error,
                         String heldSince, boolean unlocking) {
    }

    /** What a phantom token opens. */
    public record Binding(String id, String taskId, String project, String provider, String credentialSet, long createdAt,
                          Long expiresAt, String hash) {
    }

    /** {@code accountId}: the account an OAuth credential belongs to (ChatGPT), null when none. */
    public record Credential(String credentialSet, String provider, String kind, String secret, String refreshToken,
                             Long expiresAt, long updatedAt, String accountId) {
        public boolean oauth() {
            return "oauth".equals(kind);
        }
    }

    public record Minted(Binding binding, String token) {
    }

    private final RouteTable routes;
    private final VaultStorage storage = new VaultStorage();
    private final CredentialStore credentials;
    private final TokenStore tokens;
    private final VaultSeal seal;

    public Vault(Path file, PassphraseChain chain, RouteTable routes, Clock clock) {
        this.routes = routes;
        this.credentials = new CredentialStore(storage, routes, clock);
        this.tokens = new TokenStore(storage, credentials, clock);
        this.seal = new VaultSeal(file, chain, storage, clock, credentials::size, tokens::size);
    }

    public RouteTable routes() {
        return routes;
    }

    /** The storage view for parts that live outside this package (the SSH key store). */
    public VaultStorage storage() {
        return storage;
    }

    public VaultSeal seal() {
        return seal;
    }

    public CredentialStore credentials() {
        return credentials;
    }

    public TokenStore tokens() {
        return tokens;
    }

    public Path file() {
        return seal.file();
    }

    public PassphraseChain chain() {
        return seal.chain();
    }

    /** Whether the vault is open; waits (bounded) for an unlock at start still running, so never on an event loop. */
    public boolean unlocked() {
        return storage.isOpenOnceStarted();
    }

    /** The unlock at service start (see {@link #unlockAtStart}); an ended one when the vault was never started so. */
    public StartupUnlock startup() {
        return storage.startup();
    }

    /**
     * The vault's state once its unlock at start is over: waits for it (at most {@link StartupUnlock#WAIT}; after that
     * it answers {@code unlocking}), so a caller right after the service's start never reads a transient "locked".
     */
    public Status status() {
        awaitStartup();
        return seal.status();
    }

    /** Waits (bounded) for the unlock at start, if it still runs; never refuses. Not for an event loop. */
    public void awaitStartup() {
        storage.isOpenOnceStarted();
    }

    public Status provisioned(PassphraseChain next, String tierName, String pass) {
        return seal.provisioned(next, tierName, pass);
    }

    /** Unlocks through the tier chain now (see {@link VaultSeal#autoUnlock()}); the reason it failed, or empty. */
    public String autoUnlock() {
        return seal.autoUnlock();
    }

    /**
     * The service's start: runs {@link #autoUnlock()} on its own thread, so the server binds and answers meanwhile. Calls
     * that need the open vault wait for it (see {@link StartupUnlock}); {@code finished} gets the reason it failed, or
     * empty, once it is over.
     */
    public StartupUnlock unlockAtStart(Consumer<String> finished) {
        return unlockAtStart(Optional::empty, finished);
    }

    /** As {@link #unlockAtStart(Consumer)}, with the tier chain's outcome when it already ran ({@link EarlyOpen}). */
    StartupUnlock unlockAtStart(Supplier<Optional<TierOpen>> early, Consumer<String> finished) {
        StartupUnlock unlock = new StartupUnlock();
        storage.startup(unlock);
        Thread t = new Thread(() -> {
            String failure;
            try {
                failure = seal.autoUnlock(early.get());
            } catch (RuntimeException | Error e) {
                // fail closed: the vault stays locked and says why
                failure = e.getMessage() == null ? e.toString() : e.getMessage();
                LOG.errorf(e, "vault stays locked: unlocking it at start failed: %s", failure);
            }
            unlock.finish(failure);
            finished.accept(failure);
        }, "vault-unlock-at-start");
        t.setDaemon(true); // a stop during the unlock must not wait for a passphrase command
        t.start();
        return unlock;
    }

    public void onUnlock(Runnable listener) {
        seal.onUnlock(listener);
    }

    public Status unlock(String given) {
        return seal.unlock(given);
    }

    public Status lock() {
        return seal.lock(false);
    }

    public Status lock(boolean hold) {
        return seal.lock(hold);
    }

    public Status changePassphrase(String current, String next) {
        return seal.changePassphrase(current, next);
    }

    public Credential putCredential(String credentialSet, String provider, String kind, String secret, String refreshToken,
                                    Long expiresAt) {
        return credentials.put(credentialSet, provider, kind, secret, refreshToken, expiresAt, null);
    }

    public Credential putCredential(String credentialSet, String provider, String kind, String secret, String refreshToken,
                                    Long expiresAt, String accountId) {
        return credentials.put(credentialSet, provider, kind, secret, refreshToken, expiresAt, accountId);
    }

    public List<Credential> listCredentials(String credentialSet) {
        return credentials.list(credentialSet);
    }

    public boolean deleteCredential(String credentialSet, String provider) {
        return credentials.delete(credentialSet, provider);
    }

    public Credential refreshed(Credential old, String accessToken, String refreshToken, Long expiresAt) {
        return credentials.refreshed(old, accessToken, refreshToken, expiresAt);
    }

    public Optional<Credential> credential(String credentialSet, String provider) {
        return credentials.get(credentialSet, provider);
    }

    public List<Minted> mint(String taskId, String project, List<String> providers, String credentialSet, long ttlSeconds) {
        return tokens.mint(taskId, project, providers, credentialSet, ttlSeconds);
    }

    public int revoke(String taskId) {
        return tokens.revoke(taskId);
    }

    public List<Binding> listTokens(String taskId) {
        return tokens.list(taskId);
    }

    public Optional<Binding> lookup(String token) {
        return tokens.lookup(token);
    }

    @Override
    public void close() {
        storage.exclusive(() -> {
            seal.close();
            return null;
        });
    }
}
