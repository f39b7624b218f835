package io.terok.vault;

import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.vault.Vault.Binding;
import io.terok.vault.Vault.Minted;
import io.terok.vault.store.TokenRow;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The phantom tokens: minted per task and provider, each opening one credential; stored only as their hash. The
 * broker's check is answered from memory (token hash → binding). Revocation drops a token from memory before the
 * database, so a failing write never leaves a live token.
 */
public final class TokenStore implements VaultStorage.Cache {
    private static final Logger LOG = Logger.getLogger(TokenStore.class);

    private final VaultStorage storage;
    private final CredentialStore credentials;
    private final Clock clock;
    private final Map<String, Binding> tokensByHash = new ConcurrentHashMap<>();

    TokenStore(VaultStorage storage, CredentialStore credentials, Clock clock) {
        this.storage = storage;
        this.credentials = credentials;
        this.clock = clock;
        storage.register(this);
    }

    @Override
    public void load(Connection c) throws SQLException {
        for (TokenRow t : TokenRow.all(c)) {
            tokensByHash.put(t.tokenHash, binding(t));
        }
    }

    @Override
    public void clear() {
        tokensByHash.clear();
    }

    int size() {
        return tokensByHash.size();
    }

    /** Mints one token per provider for a task, all or none. */
    public List<Minted> mint(String taskId, String project, List<String> providers, String credentialSet, long ttlSeconds) {
        Ids.taskId("task_id", taskId);
        if (providers.isEmpty()) {
            throw ServiceException.invalid("providers", "must not be empty");
        }
        if (ttlSeconds < 0) {
            throw ServiceException.invalid("ttl_seconds", "must not be negative");
        }
        String s = CredentialStore.set(credentialSet);
        List<String> wanted = new ArrayList<>(new LinkedHashSet<>(providers));
        for (int i = 0; i < wanted.size(); i++) {
            credentials.route("providers[" + i + "]", wanted.get(i));
        }
        return storage.withOpen(d -> {
            for (String p : wanted) {
                if (!credentials.has(s, p)) {
                    throw ServiceException.precondition("no credential for provider '" + p + "' in set '" + s
                            + "': store one with `terok vault add " + p + (s.equals(CredentialStore.DEFAULT_SET) ? "" : " --set " + s) + "`");
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
            d.inTransaction(c -> {
                for (TokenRow r : rows) {
                    r.insert(c);
                }
                return null;
            });
            minted.forEach(m -> tokensByHash.put(m.binding().hash(), m.binding()));
            LOG.infof("minted %d token(s) for task %s: %s", minted.size(), taskId,
                    String.join(", ", minted.stream().map(m -> m.binding().id() + "=" + m.binding().provider()).toList()));
            return minted;
        });
    }

    /** Revokes every token of a task; idempotent. */
    public int revoke(String taskId) {
        if (taskId == null || taskId.isEmpty()) {
            throw ServiceException.invalid("task_id", "must not be empty");
        }
        return storage.withOpen(d -> {
            tokensByHash.values().removeIf(b -> b.taskId().equals(taskId));
            int n = d.inTransaction(c -> TokenRow.deleteOfTask(c, taskId));
            if (n > 0) {
                LOG.infof("revoked %d token(s) of task %s", n, Printable.line(taskId));
            }
            return n;
        });
    }

    public List<Binding> list(String taskId) {
        boolean all = taskId == null || taskId.isEmpty();
        return storage.inTransaction(c -> (all ? TokenRow.all(c) : TokenRow.ofTask(c, taskId)).stream()
                .map(TokenStore::binding).toList());
    }

    /** The broker's check: a live, unexpired token, compared by its hash in constant time. */
    public Optional<Binding> lookup(String token) {
        if (token == null || !token.startsWith(PhantomTokens.PREFIX) || !storage.isOpen()) {
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

    private static Binding binding(TokenRow t) {
        return new Binding(t.id, t.taskId, t.project, t.provider, t.credentialSet, t.createdAt, t.expiresAt, t.tokenHash);
    }
}
