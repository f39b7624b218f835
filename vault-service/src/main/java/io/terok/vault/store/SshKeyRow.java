package io.terok.vault.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;

/** An SSH key: its unencrypted OpenSSH private key file lives only here, inside the encrypted database. */
public class SshKeyRow {
    static final String COLUMNS = "id, key_type, private_key, public_key, fingerprint, comment, created_at, key_use";

    public Long id;
    /** ed25519 or rsa. */
    public String keyType;
    /** The OpenSSH private key file ({@code openssh-key-v1}, no passphrase), UTF-8. */
    public byte[] privateKey;
    /** The public key blob (SSH wire format). */
    public byte[] publicKey;
    public String fingerprint;
    public String comment;
    public long createdAt;
    /** gate (the gate's sync and forward only) or task (offered to the tasks of its projects); see V4__SshKeyUse. */
    public String use = "gate";

    public static SshKeyRow find(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM ssh_keys WHERE id = ?", SshKeyRow::read, id);
    }

    public static SshKeyRow byFingerprint(Connection c, String fingerprint) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM ssh_keys WHERE fingerprint = ?", SshKeyRow::read, fingerprint);
    }

    /** Inserts the row and sets its new id. */
    public void insert(Connection c) throws SQLException {
        id = Sql.insert(c, "INSERT INTO ssh_keys (key_type, private_key, public_key, fingerprint, comment, created_at, key_use)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)", keyType, privateKey, publicKey, fingerprint, comment, createdAt, use);
    }

    public static void setUse(Connection c, long id, String use) throws SQLException {
        Sql.update(c, "UPDATE ssh_keys SET key_use = ? WHERE id = ?", use, id);
    }

    public static boolean delete(Connection c, long id) throws SQLException {
        return Sql.update(c, "DELETE FROM ssh_keys WHERE id = ?", id) > 0;
    }

    static SshKeyRow read(ResultSet r) throws SQLException {
        SshKeyRow k = new SshKeyRow();
        k.id = r.getLong("id");
        k.keyType = r.getString("key_type");
        k.privateKey = r.getBytes("private_key");
        k.publicKey = r.getBytes("public_key");
        k.fingerprint = r.getString("fingerprint");
        k.comment = r.getString("comment");
        k.createdAt = r.getLong("created_at");
        k.use = r.getString("key_use");
        return k;
    }
}
