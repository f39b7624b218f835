package io.terok.vault.store.migration;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Schema 4: each SSH key has a use (issue 15 item 2): {@code gate} (the gate's sync and forward, never offered to a
 * task) or {@code task} (offered to the tasks of the projects it is assigned to). Every key stored before is a gate
 * key: it is what the gate forwarded with, and offering it to tasks is what let an agent push past review, so the
 * migration fails closed and the operator marks task keys explicitly ({@code terok ssh use ID task}).
 */
public class V4__SshKeyUse extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws Exception {
        try (Statement s = context.getConnection().createStatement()) {
            s.execute("ALTER TABLE ssh_keys ADD COLUMN key_use TEXT NOT NULL DEFAULT 'gate' CHECK (key_use IN ('gate', 'task'))");
        }
    }
}
