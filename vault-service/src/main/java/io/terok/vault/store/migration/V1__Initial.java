package io.terok.vault.store.migration;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/** Schema 1: credentials, phantom tokens (no expiry), SSH keys and their projects. */
public class V1__Initial extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws Exception {
        try (Statement s = context.getConnection().createStatement()) {
            s.execute("""
                    CREATE TABLE credentials (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      credential_set TEXT NOT NULL,
                      provider TEXT NOT NULL,
                      kind TEXT NOT NULL CHECK (kind IN ('api_key', 'oauth')),
                      secret TEXT NOT NULL,
                      refresh_token TEXT,
                      expires_at INTEGER,
                      updated_at INTEGER NOT NULL,
                      UNIQUE (credential_set, provider))""");
            s.execute("""
                    CREATE TABLE phantom_tokens (
                      id TEXT PRIMARY KEY,
                      token_hash TEXT NOT NULL UNIQUE,
                      task_id TEXT NOT NULL,
                      provider TEXT NOT NULL,
                      credential_set TEXT NOT NULL,
                      created_at INTEGER NOT NULL)""");
            s.execute("""
                    CREATE TABLE ssh_keys (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      key_type TEXT NOT NULL CHECK (key_type IN ('ed25519', 'rsa')),
                      private_key BLOB NOT NULL,
                      public_key BLOB NOT NULL,
                      fingerprint TEXT NOT NULL UNIQUE,
                      comment TEXT NOT NULL DEFAULT '',
                      created_at INTEGER NOT NULL)""");
            s.execute("""
                    CREATE TABLE ssh_key_projects (
                      project TEXT NOT NULL,
                      key_id INTEGER NOT NULL REFERENCES ssh_keys(id) ON DELETE CASCADE,
                      PRIMARY KEY (project, key_id))""");
        }
    }
}
