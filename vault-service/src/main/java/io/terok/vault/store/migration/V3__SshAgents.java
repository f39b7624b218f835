package io.terok.vault.store.migration;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Schema 3: the tasks that have an SSH agent (task, project), so a restarted vault re-opens exactly the agents of
 * live tasks; and an index to find a project's keys.
 */
public class V3__SshAgents extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws Exception {
        try (Statement s = context.getConnection().createStatement()) {
            s.execute("""
                    CREATE TABLE ssh_agents (
                      task_id TEXT PRIMARY KEY,
                      project TEXT NOT NULL,
                      created_at INTEGER NOT NULL)""");
            s.execute("CREATE INDEX ssh_key_projects_key ON ssh_key_projects (key_id)");
        }
    }
}
