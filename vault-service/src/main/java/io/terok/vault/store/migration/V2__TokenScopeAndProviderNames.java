package io.terok.vault.store.migration;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Schema 2: phantom tokens get an optional expiry and the task's project, an index by task (revocation), and the
 * agent-style provider names of schema 1 (claude, codex, gh, glab) become the route names (anthropic, openai,
 * github, gitlab). A row whose new name is already taken keeps its old name rather than overwrite the other.
 */
public class V2__TokenScopeAndProviderNames extends BaseJavaMigration {
    private static final String RENAME = "provider = CASE provider WHEN 'claude' THEN 'anthropic' WHEN 'codex' THEN 'openai'"
            + " WHEN 'gh' THEN 'github' WHEN 'glab' THEN 'gitlab' ELSE provider END";

    @Override
    public void migrate(Context context) throws Exception {
        try (Statement s = context.getConnection().createStatement()) {
            s.execute("ALTER TABLE phantom_tokens ADD COLUMN expires_at INTEGER");
            s.execute("ALTER TABLE phantom_tokens ADD COLUMN project TEXT NOT NULL DEFAULT ''");
            s.execute("CREATE INDEX phantom_tokens_task ON phantom_tokens (task_id)");
            s.execute("UPDATE OR IGNORE credentials SET " + RENAME);
            s.execute("UPDATE phantom_tokens SET " + RENAME);
        }
    }
}
