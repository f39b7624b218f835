package io.terok.vault.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** An SSH key: its unencrypted OpenSSH private key file lives only here, inside the encrypted database. */
@Entity
@Table(name = "ssh_keys")
public class SshKeyRow {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    /** ed25519 or rsa. */
    @Column(name = "key_type", nullable = false)
    public String keyType;

    /** The OpenSSH private key file ({@code openssh-key-v1}, no passphrase), UTF-8. */
    @Column(name = "private_key", nullable = false)
    public byte[] privateKey;

    /** The public key blob (SSH wire format). */
    @Column(name = "public_key", nullable = false)
    public byte[] publicKey;

    @Column(nullable = false, unique = true)
    public String fingerprint;

    @Column(nullable = false)
    public String comment;

    @Column(name = "created_at", nullable = false)
    public long createdAt;

    /** gate (the gate's sync and forward only) or task (offered to the tasks of its projects); see V4__SshKeyUse. */
    @Column(name = "key_use", nullable = false)
    public String use = "gate";
}
