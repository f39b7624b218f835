package io.terok.vault.store.migration;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Schema 5: an OAuth credential may name the account it belongs to (a ChatGPT login's account id, issue 12): the
 * broker sends it in the header the service wants beside the token, and a task's agent gets it in its phantom login
 * file. It is an identifier, not a secret; NULL for every credential stored before and for API keys.
 */
public class V5__OAuthAccount extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws Exception {
        try (Statement s = context.getConnection().createStatement()) {
            s.execute("ALTER TABLE credentials ADD COLUMN account_id TEXT");
        }
    }
}
