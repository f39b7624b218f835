package io.terok.vault.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A phantom token: only its SHA-256 is stored, bound to one task, provider and credential set. */
@Entity
@Table(name = "phantom_tokens")
public class TokenRow {
    /** Public identifier (safe to log and to keep in task records); not the token. */
    @Id
    public String id;

    @Column(name = "token_hash", nullable = false, unique = true)
    public String tokenHash;

    @Column(name = "task_id", nullable = false)
    public String taskId;

    @Column(nullable = false)
    public String project;

    @Column(nullable = false)
    public String provider;

    @Column(name = "credential_set", nullable = false)
    public String credentialSet;

    @Column(name = "created_at", nullable = false)
    public long createdAt;

    @Column(name = "expires_at")
    public Long expiresAt;
}
