package io.terok.vault.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** A real credential of one provider in one credential set: an API key, or an OAuth access/refresh pair. */
public class CredentialRow {
    static final String COLUMNS = "id, credential_set, provider, kind, secret, refresh_token, expires_at, account_id, updated_at";

    public Long id;
    public String credentialSet;
    public String provider;
    /** api_key or oauth. */
    public String kind;
    /** The API key, or the OAuth access token. */
    public String secret;
    public String refreshToken;
    /** OAuth access token expiry, epoch milliseconds. */
    public Long expiresAt;
    /** The account an OAuth credential belongs to (a ChatGPT account id), null when it names none; see V5__OAuthAccount. */
    public String accountId;
    public long updatedAt;

    public static List<CredentialRow> all(Connection c) throws SQLException {
        return Sql.list(c, "SELECT " + COLUMNS + " FROM credentials ORDER BY id", CredentialRow::read);
    }

    /** The credential of one provider in one set, or null. */
    public static CredentialRow find(Connection c, String credentialSet, String provider) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM credentials WHERE credential_set = ? AND provider = ?", CredentialRow::read,
                credentialSet, provider);
    }

    /** Inserts the row (no id yet) or updates the one with its id. */
    public void save(Connection c) throws SQLException {
        if (id == null) {
            id = Sql.insert(c, "INSERT INTO credentials (credential_set, provider, kind, secret, refresh_token, expires_at, account_id,"
                    + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", credentialSet, provider, kind, secret, refreshToken, expiresAt,
                    accountId, updatedAt);
        } else {
            Sql.update(c, "UPDATE credentials SET credential_set = ?, provider = ?, kind = ?, secret = ?, refresh_token = ?,"
                    + " expires_at = ?, account_id = ?, updated_at = ? WHERE id = ?", credentialSet, provider, kind, secret,
                    refreshToken, expiresAt, accountId, updatedAt, id);
        }
    }

    public static int delete(Connection c, String credentialSet, String provider) throws SQLException {
        return Sql.update(c, "DELETE FROM credentials WHERE credential_set = ? AND provider = ?", credentialSet, provider);
    }

    static CredentialRow read(ResultSet r) throws SQLException {
        CredentialRow row = new CredentialRow();
        row.id = r.getLong("id");
        row.credentialSet = r.getString("credential_set");
        row.provider = r.getString("provider");
        row.kind = r.getString("kind");
        row.secret = r.getString("secret");
        row.refreshToken = r.getString("refresh_token");
        row.expiresAt = Sql.nullableLong(r, "expires_at");
        row.accountId = r.getString("account_id");
        row.updatedAt = r.getLong("updated_at");
        return row;
    }
}
