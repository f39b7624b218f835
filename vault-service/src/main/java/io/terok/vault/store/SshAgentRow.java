package io.terok.vault.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A task's live SSH agent: the vault re-opens it after a restart until the task is revoked. */
@Entity
@Table(name = "ssh_agents")
public class SshAgentRow {
    @Id
    @Column(name = "task_id")
    public String taskId;

    @Column(nullable = false)
    public String project;

    @Column(name = "created_at", nullable = false)
    public long createdAt;
}
