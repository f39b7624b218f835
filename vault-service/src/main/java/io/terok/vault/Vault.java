package io.terok.vault;

import io.terok.common.PrivateFiles;
import io.terok.common.TerokPaths;
import io.terok.vault.broker.ProviderRoute;
import io.terok.vault.broker.RouteTable;
import io.terok.vault.passphrase.PassphraseChain;
import io.terok.vault.passphrase.PassphraseTier;
import io.terok.vault.passphrase.TierFailedException;
import io.terok.vault.store.CredentialRow;
import io.terok.vault.store.TokenRow;
import io.terok.vault.store.VaultDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The vault's state and operations: locked or unlocked (the open {@link VaultDatabase}), credentials and phantom
 * tokens. The broker's per-request lookups are answered from memory (token hash → binding, credential set/provider →
 * credential), loaded at unlock and kept in step with every write; the database stays the source of truth.
 * Revocation drops a token from memory before the database, so a failing write never leaves a live token.
 */
public final class Vault implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Vault.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern TASK = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    public static final String DEFAULT_SET = "default";

    /** @param heldSince when {@code terok panic} held the vault locked (ISO-8601), empty when it is not held */
    public record Status(boolean initialized, boolean unlocked, String tier, Path database, int schemaVersion, String error,
                         String heldSince) {
    }

    /** What a phantom token opens. */
    public record Binding(String id, String taskId, String project, String provider, String credentialSet, long createdAt,
                          Long expiresAt, String hash) {
    }

    public record Credential(String credentialSet, String provider, String kind, String secret, String refreshToken,
                             Long expiresAt, long updatedAt) {
        public boolean oauth() {
            return "oauth".equals(kind);
        }
    }

    public record Minted(Binding binding, String token) {
    }

    private final Path file;
    /**
     * Present while the vault is held locked ({@code terok panic}): the service then does not unlock itself from its
     * tiers at start, so a restart (or a crash the agent provoked) cannot undo the panic; only the operator's explicit
     * unlock removes it. A file beside the database, so it lives and dies with the vault's own data.
     */
    private final Path holdFile;
    private volatile PassphraseChain chain;
    private final RouteTable routes;
    private final Clock clock;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, Binding> tokensByHash = new ConcurrentHashMap<>();
    private final Map<String, Credential> credentials = new ConcurrentHashMap<>();
    private volatile VaultDatabase db;
    private volatile String tier = "";
    private volatile String error = "";
    private String passphrase;
    private final List<Runnable> unlockListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public Vault(Path file, PassphraseChain chain, RouteTable routes, Clock clock) {
        this.file = file;
        this.holdFile = file.resolveSibling(file.getFileName() + ".held");
        this.chain = chain;
        this.routes = routes;
        this.clock = clock;
    }

    public RouteTable routes() {
        return routes;
    }

    public Path file() {
        return file;
    }

    public PassphraseChain chain() {
        return chain;
    }

    /**
     * After {@code terok setup} stored a generated passphrase in a tier: use the chain the new configuration gives and
     * create the database with that passphrase. Refused when the vault is open or a database file exists.
     */
    public Status provisioned(PassphraseChain next, String tierName, String pass) {
        lock.writeLock().lock();
        try {
            if (db != null || initialized()) {
                throw VaultException.precondition("the vault already has a database at " + file + "; setup never replaces it");
            }
            chain = next;
            VaultDatabase opened = VaultDatabase.open(file, pass);
            load(opened);
            db = opened;
            passphrase = pass;
            tier = tierName;
            error = "";
            releaseHold(); // the operator's setup created and opened it: as explicit as an unlock
            LOG.infof("vault created with a generated passphrase kept in the %s tier", tierName);
            return status();
        } finally {
            lock.writeLock().unlock();
        }
    }

    public Status status() {
        VaultDatabase d = db;
        return new Status(d != null || initialized(), d != null, d == null ? "" : tier, file, d == null ? 0 : d.schemaVersion(), error,
                heldSince());
    }

    private String heldSince() {
        try {
            return Files.exists(holdFile) ? Files.readString(holdFile).strip() : "";
        } catch (java.io.IOException e) {
            return "unknown (" + e.getMessage() + ")"; // still held: the file is there
        }
    }

    private boolean initialized() {
        try {
            return Files.size(file) > 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * At service start: unlock through the tier chain if one holds the passphrase; otherwise stay locked. A held vault
     * stays locked whatever its tiers hold.
     */
    public void autoUnlock() {
        String held = heldSince();
        if (!held.isEmpty()) {
            error = "held locked by `terok panic` since " + held + ": `terok vault unlock` lifts the hold";
            LOG.warnf("vault stays locked: %s", error);
            return;
        }
        try {
            unlock("");
        } catch (VaultException e) {
            LOG.warnf("vault stays locked: %s", e.getMessage());
        }
    }

    /** Runs after every successful unlock (outside the vault's lock), e.g. to re-open the SSH agents of live tasks. */
    public void onUnlock(Runnable listener) {
        unlockListeners.add(listener);
    }

    /** @param given the passphrase from the caller (the CLI's prompt); empty: resolve through the tier chain */
    public Status unlock(String given) {
        boolean wasLocked = db == null;
        Status s = unlockLocked(given);
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

    private Status unlockLocked(String given) {
        lock.writeLock().lock();
        try {
            if (db != null) {
                if (!given.isEmpty() && !PhantomTokens.sameHash(PhantomTokens.hash(given), PhantomTokens.hash(passphrase))) {
                    throw new VaultException(VaultException.Kind.DENIED, "wrong passphrase for " + file);
                }
                return status();
            }
            String pass;
            String from;
            if (!given.isEmpty()) {
                pass = given;
                from = "prompt";
            } else {
                Optional<PassphraseChain.Resolved> r;
                try {
                    r = chain.resolve();
                } catch (TierFailedException e) {
                    error = e.getMessage();
                    throw VaultException.precondition(e.getMessage());
                }
                if (r.isEmpty()) {
                    error = "";
                    throw VaultException.precondition("no passphrase tier holds the vault passphrase"
                            + (initialized() ? ": run `terok vault unlock`" : ": run `terok vault unlock --prompt` to create it with a passphrase, or configure a passphrase tier"));
                }
                pass = r.get().passphrase();
                from = r.get().tier();
            }
            VaultDatabase opened;
            try {
                opened = VaultDatabase.open(file, pass);
            } catch (VaultException e) {
                error = e.getMessage();
                throw e;
            }
            load(opened);
            db = opened;
            passphrase = pass;
            tier = from;
            error = "";
            if (from.equals("prompt")) {
                cache(pass);
            }
            LOG.infof("vault unlocked (%s, schema %d, %d credentials, %d live tokens)", from, opened.schemaVersion(),
                    credentials.size(), tokensByHash.size());
            return status();
        } finally {
            lock.writeLock().unlock();
        }
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

    public Status lock() {
        return lock(false);
    }

    /**
     * Locks the vault: every phantom token and SSH agent stops working at once. With {@code hold} ({@code terok panic})
     * it also stays locked across service restarts until the operator unlocks it explicitly.
     */
    public Status lock(boolean hold) {
        lock.writeLock().lock();
        try {
            closeDb();
            try {
                chain.cache().ifPresent(PassphraseTier::forget);
            } catch (RuntimeException e) {
                LOG.warnf("could not clear the passphrase cache: %s", e.getMessage());
            }
            if (hold && heldSince().isEmpty()) {
                try {
                    // before the first unlock the vault's directory may not exist yet; a hold must not need a database
                    if (!Files.isDirectory(holdFile.getParent())) {
                        TerokPaths.ensurePrivateDir(holdFile.getParent());
                    }
                    PrivateFiles.write(holdFile, Instant.now(clock).truncatedTo(ChronoUnit.SECONDS) + "\n");
                } catch (java.io.UncheckedIOException | IllegalStateException e) {
                    throw VaultException.precondition("the vault is locked, but the hold could not be recorded (" + e.getMessage()
                            + "): a restart of the vault service would unlock it again from its passphrase tier");
                }
            }
            LOG.info(hold ? "vault locked and held (terok panic): it stays locked across restarts until `terok vault unlock`"
                    : "vault locked");
            return status();
        } finally {
            lock.writeLock().unlock();
        }
    }

    public Status changePassphrase(String current, String next) {
        if (next == null || next.isEmpty()) {
            throw VaultException.invalid("new_passphrase: must not be empty");
        }
        lock.writeLock().lock();
        try {
            String old = current;
            if (db != null) {
                if (!current.isEmpty() && !PhantomTokens.sameHash(PhantomTokens.hash(current), PhantomTokens.hash(passphrase))) {
                    throw new VaultException(VaultException.Kind.DENIED, "current_passphrase: wrong passphrase for " + file);
                }
                String unlockedBy = tier;
                if (chain.tier(unlockedBy).map(t -> !t.writable() && !t.canStore()).orElse(false)) {
                    throw VaultException.precondition("the passphrase comes from the " + tier + " tier, which terok cannot"
                            + " rewrite: change it there and re-key with `terok vault passphrase change` after unsetting it");
                }
                old = passphrase;
            } else if (current.isEmpty()) {
                throw VaultException.invalid("current_passphrase: required while the vault is locked");
            }
            String from = db != null ? tier : "prompt";
            closeDb();
            try {
                VaultDatabase.rekey(file, old, next);
            } catch (VaultException e) {
                // The file still has the old key (SQLCipher rekeys in one transaction): reopen as it was.
                reopen(old, from);
                throw e;
            }
            reopen(next, from);
            cache(next);
            saveInTier(from, next);
            LOG.info("vault passphrase changed (database re-keyed in place)");
            return status();
        } finally {
            lock.writeLock().unlock();
        }
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
            throw VaultException.precondition("the database was re-keyed, but the " + from + " tier still holds the old"
                    + " passphrase (" + e.getMessage() + "): the vault stays unlocked; fix the tier and run"
                    + " `terok vault passphrase change` again, or unlock with `terok vault unlock --prompt` after a restart");
        }
    }

    private void reopen(String pass, String from) {
        VaultDatabase opened = VaultDatabase.open(file, pass);
        load(opened);
        db = opened;
        passphrase = pass;
        tier = from;
        releaseHold(); // the operator gave the passphrase: an explicit unlock
    }

    /** The operator unlocked the vault: a hold from {@code terok panic} is over. */
    private void releaseHold() {
        try {
            if (Files.deleteIfExists(holdFile)) {
                error = "";
                LOG.info("vault hold lifted by the operator's unlock");
            }
        } catch (java.io.IOException e) {
            LOG.warnf("could not remove %s (the vault is unlocked; it will stay locked after a restart until unlocked again): %s",
                    holdFile, e.getMessage());
        }
    }

    private void load(VaultDatabase d) {
        tokensByHash.clear();
        credentials.clear();
        d.inTransaction(s -> {
            for (TokenRow t : s.createSelectionQuery("from TokenRow", TokenRow.class).getResultList()) {
                tokensByHash.put(t.tokenHash, binding(t));
            }
            for (CredentialRow c : s.createSelectionQuery("from CredentialRow", CredentialRow.class).getResultList()) {
                credentials.put(key(c.credentialSet, c.provider), credential(c));
            }
            return null;
        });
    }

    private void closeDb() {
        tokensByHash.clear();
        credentials.clear();
        VaultDatabase d = db;
        db = null;
        passphrase = null;
        tier = "";
        if (d != null) {
            d.close();
        }
    }

    private VaultDatabase open() {
        VaultDatabase d = db;
        if (d == null) {
            throw VaultException.locked();
        }
        return d;
    }

    private static String set(String s) {
        String v = s == null || s.isEmpty() ? DEFAULT_SET : s;
        if (!NAME.matcher(v).matches()) {
            throw VaultException.invalid("credential_set: '" + v + "' is not a valid name ([A-Za-z0-9][A-Za-z0-9._-]{0,63})");
        }
        return v;
    }

    private ProviderRoute route(String field, String provider) {
        if (provider == null || provider.isEmpty()) {
            throw VaultException.invalid(field + ": must not be empty");
        }
        return routes.get(provider).orElseThrow(() -> VaultException.invalid(field + ": unknown provider '" + provider
                + "' (known: " + routes.names() + ")"));
    }

    // ---------------------------------------------------------------------------------------------- credentials

    public Credential putCredential(String credentialSet, String provider, String kind, String secret, String refreshToken,
                                    Long expiresAt) {
        String s = set(credentialSet);
        route("provider", provider);
        if (!kind.equals("api_key") && !kind.equals("oauth")) {
            throw VaultException.invalid("kind: must be API_KEY or OAUTH");
        }
        if (secret == null || secret.isEmpty()) {
            throw VaultException.invalid(kind.equals("oauth") ? "oauth_access_token: must not be empty" : "api_key: must not be empty");
        }
        lock.readLock().lock();
        try {
            long now = clock.millis();
            CredentialRow saved = open().inTransaction(session -> {
                CredentialRow row = session.createSelectionQuery("from CredentialRow where credentialSet = :s and provider = :p", CredentialRow.class)
                        .setParameter("s", s).setParameter("p", provider).uniqueResult();
                if (row == null) {
                    row = new CredentialRow();
                    row.credentialSet = s;
                    row.provider = provider;
                }
                row.kind = kind;
                row.secret = secret;
                row.refreshToken = refreshToken == null || refreshToken.isEmpty() ? null : refreshToken;
                row.expiresAt = expiresAt;
                row.updatedAt = now;
                session.persist(row);
                return row;
            });
            Credential c = credential(saved);
            credentials.put(key(s, provider), c);
            LOG.infof("credential stored: set=%s provider=%s kind=%s", s, provider, kind);
            return c;
        } finally {
            lock.readLock().unlock();
        }
    }

    public List<Credential> listCredentials(String credentialSet) {
        String s = credentialSet == null || credentialSet.isEmpty() ? null : set(credentialSet);
        open();
        return credentials.values().stream().filter(c -> s == null || c.credentialSet().equals(s))
                .sorted(Comparator.comparing(Credential::credentialSet).thenComparing(Credential::provider)).toList();
    }

    public boolean deleteCredential(String credentialSet, String provider) {
        String s = set(credentialSet);
        if (provider == null || provider.isEmpty()) {
            throw VaultException.invalid("provider: must not be empty");
        }
        lock.readLock().lock();
        try {
            VaultDatabase d = open();
            credentials.remove(key(s, provider));
            int n = d.inTransaction(session -> session.createMutationQuery("delete from CredentialRow where credentialSet = :s and provider = :p")
                    .setParameter("s", s).setParameter("p", provider).executeUpdate());
            if (n > 0) {
                LOG.infof("credential deleted: set=%s provider=%s", s, provider);
            }
            return n > 0;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Stores a refreshed OAuth access token, refresh token and expiry, unless the credential was replaced or deleted
     * meanwhile (then the current one is returned as it is).
     */
    public Credential refreshed(Credential old, String accessToken, String refreshToken, Long expiresAt) {
        lock.readLock().lock();
        try {
            VaultDatabase d = open();
            long now = clock.millis();
            CredentialRow saved = d.inTransaction(session -> {
                CredentialRow row = session.createSelectionQuery("from CredentialRow where credentialSet = :s and provider = :p", CredentialRow.class)
                        .setParameter("s", old.credentialSet()).setParameter("p", old.provider()).uniqueResult();
                if (row == null || row.updatedAt != old.updatedAt() || !row.secret.equals(old.secret())) {
                    return null;
                }
                row.secret = accessToken;
                row.refreshToken = refreshToken;
                row.expiresAt = expiresAt;
                row.updatedAt = now;
                return row;
            });
            if (saved == null) {
                LOG.infof("credential set=%s provider=%s changed during its OAuth refresh: the refreshed token is not stored",
                        old.credentialSet(), old.provider());
                return credential(old.credentialSet(), old.provider()).orElseThrow(() -> VaultException.precondition(
                        "the credential for " + old.provider() + " in set " + old.credentialSet() + " was deleted"));
            }
            Credential c = credential(saved);
            credentials.put(key(c.credentialSet(), c.provider()), c);
            LOG.infof("OAuth access token refreshed: set=%s provider=%s, expires %s", c.credentialSet(), c.provider(),
                    c.expiresAt() == null ? "(unknown)" : java.time.Instant.ofEpochMilli(c.expiresAt()).toString());
            return c;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The broker's view: the credential a token opens, from memory. */
    public Optional<Credential> credential(String credentialSet, String provider) {
        return Optional.ofNullable(credentials.get(key(credentialSet, provider)));
    }

    // ---------------------------------------------------------------------------------------------- tokens

    /** Mints one token per provider for a task, all or none. */
    public List<Minted> mint(String taskId, String project, List<String> providers, String credentialSet, long ttlSeconds) {
        if (taskId == null || !TASK.matcher(taskId).matches()) {
            throw VaultException.invalid("task_id: must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
        }
        if (providers.isEmpty()) {
            throw VaultException.invalid("providers: must not be empty");
        }
        if (ttlSeconds < 0) {
            throw VaultException.invalid("ttl_seconds: must not be negative");
        }
        String s = set(credentialSet);
        List<String> wanted = new ArrayList<>(new LinkedHashSet<>(providers));
        for (int i = 0; i < wanted.size(); i++) {
            route("providers[" + i + "]", wanted.get(i));
        }
        lock.readLock().lock();
        try {
            VaultDatabase d = open();
            for (String p : wanted) {
                if (!credentials.containsKey(key(s, p))) {
                    throw VaultException.precondition("no credential for provider '" + p + "' in set '" + s
                            + "': store one with `terok vault add " + p + (s.equals(DEFAULT_SET) ? "" : " --set " + s) + "`");
                }
            }
            long now = clock.millis();
            Long expires = ttlSeconds > 0 ? now + ttlSeconds * 1000 : null;
            List<Minted> minted = new ArrayList<>();
            List<TokenRow> rows = new ArrayList<>();
            for (String p : wanted) {
                String token = PhantomTokens.newToken();
                TokenRow r = new TokenRow();
                r.id = PhantomTokens.newId();
                r.tokenHash = PhantomTokens.hash(token);
                r.taskId = taskId;
                r.project = project == null ? "" : project;
                r.provider = p;
                r.credentialSet = s;
                r.createdAt = now;
                r.expiresAt = expires;
                rows.add(r);
                minted.add(new Minted(binding(r), token));
            }
            d.inTransaction(session -> {
                rows.forEach(session::persist);
                return null;
            });
            minted.forEach(m -> tokensByHash.put(m.binding().hash(), m.binding()));
            LOG.infof("minted %d token(s) for task %s: %s", minted.size(), taskId,
                    String.join(", ", minted.stream().map(m -> m.binding().id() + "=" + m.binding().provider()).toList()));
            return minted;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Revokes every token of a task; idempotent. */
    public int revoke(String taskId) {
        if (taskId == null || taskId.isEmpty()) {
            throw VaultException.invalid("task_id: must not be empty");
        }
        lock.readLock().lock();
        try {
            VaultDatabase d = open();
            tokensByHash.values().removeIf(b -> b.taskId().equals(taskId));
            int n = d.inTransaction(session -> session.createMutationQuery("delete from TokenRow where taskId = :t")
                    .setParameter("t", taskId).executeUpdate());
            if (n > 0) {
                LOG.infof("revoked %d token(s) of task %s", n, taskId);
            }
            return n;
        } finally {
            lock.readLock().unlock();
        }
    }

    public List<Binding> listTokens(String taskId) {
        lock.readLock().lock();
        try {
            return open().inTransaction(session -> session.createSelectionQuery(
                            taskId == null || taskId.isEmpty() ? "from TokenRow order by createdAt, id" : "from TokenRow where taskId = :t order by createdAt, id",
                            TokenRow.class)
                    .setProperties(taskId == null || taskId.isEmpty() ? Map.of() : Map.of("t", taskId))
                    .getResultList().stream().map(Vault::binding).toList());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The broker's check: a live, unexpired token, compared by its hash in constant time. */
    public Optional<Binding> lookup(String token) {
        if (token == null || !token.startsWith(PhantomTokens.PREFIX) || db == null) {
            return Optional.empty();
        }
        String h = PhantomTokens.hash(token);
        Binding b = tokensByHash.get(h);
        if (b == null || !PhantomTokens.sameHash(b.hash(), h)) {
            return Optional.empty();
        }
        if (b.expiresAt() != null && b.expiresAt() <= clock.millis()) {
            return Optional.empty();
        }
        return Optional.of(b);
    }

    public boolean unlocked() {
        return db != null;
    }

    /** Work on the open database (the SSH key store); the vault is locked: {@link VaultException#locked()}. */
    public <T> T inDatabase(java.util.function.Function<org.hibernate.Session, T> work) {
        lock.readLock().lock();
        try {
            return open().inTransaction(work);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Checks a task id the way {@link #mint} does. */
    public static String checkTaskId(String taskId) {
        if (taskId == null || !TASK.matcher(taskId).matches()) {
            throw VaultException.invalid("task_id: must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
        }
        return taskId;
    }

    private static Binding binding(TokenRow t) {
        return new Binding(t.id, t.taskId, t.project, t.provider, t.credentialSet, t.createdAt, t.expiresAt, t.tokenHash);
    }

    private static Credential credential(CredentialRow c) {
        return new Credential(c.credentialSet, c.provider, c.kind, c.secret, c.refreshToken, c.expiresAt, c.updatedAt);
    }

    private static String key(String set, String provider) {
        return set + "\0" + provider;
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            closeDb();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
