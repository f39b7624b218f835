package io.terok.vault.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** A task's live SSH agent: the vault re-opens it after a restart until the task is revoked. */
public class SshAgentRow {
    public String taskId;
    public String project;
    public long createdAt;

    public static List<SshAgentRow> all(Connection c) throws SQLException {
        return Sql.list(c, "SELECT task_id, project, created_at FROM ssh_agents ORDER BY created_at, task_id", r -> {
            SshAgentRow a = new SshAgentRow();
            a.taskId = r.getString("task_id");
            a.project = r.getString("project");
            a.createdAt = r.getLong("created_at");
            return a;
        });
    }

    /** Records the task's agent; a task recorded before keeps its creation time and gets the new project. */
    public void upsert(Connection c) throws SQLException {
        Sql.update(c, "INSERT INTO ssh_agents (task_id, project, created_at) VALUES (?, ?, ?)"
                + " ON CONFLICT (task_id) DO UPDATE SET project = excluded.project", taskId, project, createdAt);
    }

    public static boolean delete(Connection c, String taskId) throws SQLException {
        return Sql.update(c, "DELETE FROM ssh_agents WHERE task_id = ?", taskId) > 0;
    }
}
