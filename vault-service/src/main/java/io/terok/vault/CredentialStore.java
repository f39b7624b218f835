package io.terok.vault;

import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.vault.Vault.Credential;
import io.terok.vault.broker.ProviderRoute;
import io.terok.vault.broker.RouteTable;
import io.terok.vault.store.CredentialRow;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The provider credentials (API keys, OAuth tokens) in named sets. The broker's per-request lookups are answered from
 * memory, kept in step with every write; the database stays the source of truth.
 */
public final class CredentialStore implements VaultStorage.Cache {
    private static final Logger LOG = Logger.getLogger(CredentialStore.class);
    /**
     * A credential set's name: the vault's own kind of name (chosen by the operator with {@code --set}, never a path
     * or a task), hence its own rule.
     */
    private static final Pattern SET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    public static final String DEFAULT_SET = "default";

    private final VaultStorage storage;
    private final RouteTable routes;
    private final Clock clock;
    private final Map<String, Credential> credentials = new ConcurrentHashMap<>();

    CredentialStore(VaultStorage storage, RouteTable routes, Clock clock) {
        this.storage = storage;
        this.routes = routes;
        this.clock = clock;
        storage.register(this);
    }

    @Override
    public void load(Connection connection) throws SQLException {
        for (CredentialRow c : CredentialRow.all(connection)) {
            credentials.put(key(c.credentialSet, c.provider), credential(c));
        }
    }

    @Override
    public void clear() {
        credentials.clear();
    }

    int size() {
        return credentials.size();
    }

    boolean has(String credentialSet, String provider) {
        return credentials.containsKey(key(credentialSet, provider));
    }

    /** A credential set's name, the default set when empty. */
    static String set(String s) {
        String v = s == null || s.isEmpty() ? DEFAULT_SET : s;
        if (!SET.matcher(v).matches()) {
            throw ServiceException.invalid("credential_set", "'" + Printable.line(v) + "' is not a valid name ([A-Za-z0-9][A-Za-z0-9._-]{0,63})");
        }
        return v;
    }

    ProviderRoute route(String field, String provider) {
        if (provider == null || provider.isEmpty()) {
            throw ServiceException.invalid(field, "must not be empty");
        }
        return routes.get(provider).orElseThrow(() -> ServiceException.invalid(field, "unknown provider '" + Printable.line(provider)
                + "' (known: " + routes.names() + ")"));
    }

    /** An account id goes into a header and a task's file: one narrow shape (a ChatGPT account id is a UUID). */
    static final java.util.regex.Pattern ACCOUNT_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,128}");

    public Credential put(String credentialSet, String provider, String kind, String secret, String refreshToken,
                          Long expiresAt, String accountId) {
        String account = accountId == null || accountId.isEmpty() ? null : accountId;
        if (account != null && (!kind.equals("oauth") || !ACCOUNT_ID.matcher(account).matches())) {
            throw ServiceException.invalid("oauth_account_id", kind.equals("oauth")
                    ? "must be 1 to 128 letters, digits, '-' or '_'" : "only an OAuth credential names an account");
        }
        String s = set(credentialSet);
        route("provider", provider);
        if (!kind.equals("api_key") && !kind.equals("oauth")) {
            throw ServiceException.invalid("kind", "must be API_KEY or OAUTH");
        }
        if (secret == null || secret.isEmpty()) {
            throw ServiceException.invalid(kind.equals("oauth") ? "oauth_access_token" : "api_key", "must not be empty");
        }
        return storage.withOpen(d -> {
            long now = clock.millis();
            CredentialRow saved = d.inTransaction(c -> {
                CredentialRow row = CredentialRow.find(c, s, provider);
                if (row == null) {
                    row = new CredentialRow();
                    row.credentialSet = s;
                    row.provider = provider;
                }
                row.kind = kind;
                row.secret = secret;
                row.refreshToken = refreshToken == null || refreshToken.isEmpty() ? null : refreshToken;
                row.expiresAt = expiresAt;
                row.accountId = account;
                row.updatedAt = now;
                row.save(c);
                return row;
            });
            Credential c = credential(saved);
            credentials.put(key(s, provider), c);
            LOG.infof("credential stored: set=%s provider=%s kind=%s", s, provider, kind);
            return c;
        });
    }

    public List<Credential> list(String credentialSet) {
        String s = credentialSet == null || credentialSet.isEmpty() ? null : set(credentialSet);
        storage.requireOpen();
        return credentials.values().stream().filter(c -> s == null || c.credentialSet().equals(s))
                .sorted(Comparator.comparing(Credential::credentialSet).thenComparing(Credential::provider)).toList();
    }

    public boolean delete(String credentialSet, String provider) {
        String s = set(credentialSet);
        if (provider == null || provider.isEmpty()) {
            throw ServiceException.invalid("provider", "must not be empty");
        }
        return storage.withOpen(d -> {
            credentials.remove(key(s, provider));
            int n = d.inTransaction(c -> CredentialRow.delete(c, s, provider));
            if (n > 0) {
                LOG.infof("credential deleted: set=%s provider=%s", s, provider);
            }
            return n > 0;
        });
    }

    /**
     * Stores a refreshed OAuth access token, refresh token and expiry, unless the credential was replaced or deleted
     * meanwhile (then the current one is returned as it is).
     */
    public Credential refreshed(Credential old, String accessToken, String refreshToken, Long expiresAt) {
        return storage.withOpen(d -> {
            long now = clock.millis();
            CredentialRow saved = d.inTransaction(c -> {
                CredentialRow row = CredentialRow.find(c, old.credentialSet(), old.provider());
                if (row == null || row.updatedAt != old.updatedAt() || !row.secret.equals(old.secret())) {
                    return null;
                }
                row.secret = accessToken;
                row.refreshToken = refreshToken;
                row.expiresAt = expiresAt;
                row.updatedAt = now;
                row.save(c);
                return row;
            });
            if (saved == null) {
                LOG.infof("credential set=%s provider=%s changed during its OAuth refresh: the refreshed token is not stored",
                        old.credentialSet(), old.provider());
                return get(old.credentialSet(), old.provider()).orElseThrow(() -> ServiceException.precondition(
                        "the credential for " + old.provider() + " in set " + old.credentialSet() + " was deleted"));
            }
            Credential c = credential(saved);
            credentials.put(key(c.credentialSet(), c.provider()), c);
            LOG.infof("OAuth access token refreshed: set=%s provider=%s, expires %s", c.credentialSet(), c.provider(),
                    c.expiresAt() == null ? "(unknown)" : Instant.ofEpochMilli(c.expiresAt()).toString());
            return c;
        });
    }

    /** The broker's view: the credential a token opens, from memory. */
    public Optional<Credential> get(String credentialSet, String provider) {
        return Optional.ofNullable(credentials.get(key(credentialSet, provider)));
    }

    private static Credential credential(CredentialRow c) {
        return new Credential(c.credentialSet, c.provider, c.kind, c.secret, c.refreshToken, c.expiresAt, c.updatedAt, c.accountId);
    }

    private static String key(String set, String provider) {
        return set + "\0" + provider;
    }
}
