package io.terok.vault.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** A phantom token: only its SHA-256 is stored, bound to one task, provider and credential set. */
public class TokenRow {
    static final String COLUMNS = "id, token_hash, task_id, project, provider, credential_set, created_at, expires_at";

    /** Public identifier (safe to log and to keep in task records); not the token. */
    public String id;
    public String tokenHash;
    public String taskId;
    public String project;
    public String provider;
    public String credentialSet;
    public long createdAt;
    public Long expiresAt;

    public static List<TokenRow> all(Connection c) throws SQLException {
        return Sql.list(c, "SELECT " + COLUMNS + " FROM phantom_tokens ORDER BY created_at, id", TokenRow::read);
    }

    public static List<TokenRow> ofTask(Connection c, String taskId) throws SQLException {
        return Sql.list(c, "SELECT " + COLUMNS + " FROM phantom_tokens WHERE task_id = ? ORDER BY created_at, id", TokenRow::read,
                taskId);
    }

    public static TokenRow find(Connection c, String id) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM phantom_tokens WHERE id = ?", TokenRow::read, id);
    }

    public void insert(Connection c) throws SQLException {
        Sql.update(c, "INSERT INTO phantom_tokens (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, tokenHash, taskId, project,
                provider, credentialSet, createdAt, expiresAt);
    }

    public static int deleteOfTask(Connection c, String taskId) throws SQLException {
        return Sql.update(c, "DELETE FROM phantom_tokens WHERE task_id = ?", taskId);
    }

    static TokenRow read(ResultSet r) throws SQLException {
        TokenRow t = new TokenRow();
        t.id = r.getString("id");
        t.tokenHash = r.getString("token_hash");
        t.taskId = r.getString("task_id");
        t.project = r.getString("project");
        t.provider = r.getString("provider");
        t.credentialSet = r.getString("credential_set");
        t.createdAt = r.getLong("created_at");
        t.expiresAt = Sql.nullableLong(r, "expires_at");
        return t;
    }
}
