package io.terok.vault.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A real credential of one provider in one credential set: an API key, or an OAuth access/refresh pair. */
@Entity
@Table(name = "credentials")
public class CredentialRow {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "credential_set", nullable = false)
    public String credentialSet;

    @Column(nullable = false)
    public String provider;

    /** api_key or oauth. */
    @Column(nullable = false)
    public String kind;

    /** The API key, or the OAuth access token. */
    @Column(nullable = false)
    public String secret;

    @Column(name = "refresh_token")
    public String refreshToken;

    /** OAuth access token expiry, epoch milliseconds. */
    @Column(name = "expires_at")
    public Long expiresAt;

    /** The account an OAuth credential belongs to (a ChatGPT account id), null when it names none; see V5__OAuthAccount. */
    @Column(name = "account_id")
    public String accountId;

    @Column(name = "updated_at", nullable = false)
    public long updatedAt;
}
