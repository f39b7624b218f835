package io.terok.vault;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

@ConfigMapping(prefix = "terok")
public interface VaultConfig {
    Path runtimeDir();

    Path dataDir();

    /** Where config.yaml lives ({@code terok setup} records the passphrase source there). */
    Path configDir();

    Vault vault();

    interface Vault {
        /** The SQLCipher database; default {@code <data dir>/vault/credentials.db}. */
        Optional<Path> database();

        /** TCP port of the token broker on 127.0.0.1 (containers reach it through the host loopback address). */
        @WithDefault("9420")
        int brokerPort();

        /** systemd credential name: {@code $CREDENTIALS_DIRECTORY/<name>} and the name encrypted into the file. */
        @WithDefault("terok-vault-passphrase")
        String systemdCredsName();

        /** An encrypted credential ({@code systemd-creds encrypt --name=<name>}); when set it must decrypt (fail closed). */
        Optional<Path> systemdCredsFile();

        @WithDefault("systemd-creds")
        String systemdCreds();

        /** Unset: use the Secret Service item when there is one; true: it must be there; false: never ask. */
        Optional<Boolean> secretService();

        /** The D-Bus session bus of the Secret Service; default {@code $DBUS_SESSION_BUS_ADDRESS}. */
        Optional<String> secretServiceBus();

        /** Shell command that prints the passphrase; when set it must work (fail closed). */
        Optional<String> passphraseCommand();

        @WithDefault("30s")
        Duration passphraseCommandTimeout();

        /** Name of an environment variable holding the passphrase (tests, CI); when set it must be set (fail closed). */
        Optional<String> passphraseEnv();

        /** Keep the passphrase in the kernel user keyring after an unlock (volatile: until reboot or lock). */
        @WithDefault("true")
        boolean kernelKeyring();

        @WithDefault("keyctl")
        String keyctl();

        /**
         * Requests a second one task may send through the broker, sustained (all its phantom tokens together); past it
         * and its burst the broker answers 429 with Retry-After, so a flooding task cannot spend the shared real key's
         * upstream allowance or the broker's connections. 0 switches the bound off.
         */
        @WithDefault("20")
        double taskRequestRate();

        /** Requests one task may send at once above its rate (the bucket's size). */
        @WithDefault("60")
        int taskRequestBurst();

        /** Requests (streams included) one task may have in flight through the broker at once; 0: no bound. */
        @WithDefault("32")
        int taskMaxInFlight();

        /**
         * A task's allowance refusals past the first of this window are counted into one folded audit line
         * ("rate_limited_folded" with their count) written when the window ends, so a flood cannot flood the audit.
         */
        @WithDefault("30s")
        Duration refusalAuditWindow();

        /**
         * How long a flooding task's connection stays parked (unanswered and unread, past its held refusals) before
         * the broker closes it: the longer, the fewer new connections a flood over a new connection per request can
         * make (at most 256 parked per task).
         */
        @WithDefault("10s")
        Duration floodParkTime();

        /** Largest request body the broker forwards (by Content-Length). */
        @WithDefault("134217728")
        long maxRequestBytes();

        @WithDefault("10s")
        Duration upstreamConnectTimeout();

        /** An upstream silent for this long is cut (long streams stay open while bytes flow). */
        @WithDefault("1200s")
        Duration upstreamIdleTimeout();

        /** Largest WebSocket message (and frame) the broker relays; a text message is redacted whole, so it is held. */
        @WithDefault("16777216")
        int websocketMaxMessageBytes();

        /** An OAuth access token is refreshed this long before it expires. */
        @WithDefault("60s")
        Duration oauthRefreshMargin();

        /** How long a refresh request to the provider's token endpoint may take. */
        @WithDefault("30s")
        Duration oauthRefreshTimeout();

        /** A gate's SSH agent (OpenProjectAgent) the gate did not close is closed after this long without use. */
        @WithDefault("60s")
        Duration gateAgentIdleTimeout();

        /** ... and in any case this long after it was opened (one sync or forward never needs more). */
        @WithDefault("30m")
        Duration gateAgentMaxLifetime();

        /**
         * The broker's audit log is rotated before it grows past this many bytes (audit.jsonl.1 is the newest rotated
         * file), so a task flooding the broker cannot fill the disk: at most max-file-bytes * (rotated-files + 1).
         */
        @WithDefault("8388608")
        long auditMaxFileBytes();

        /** How many rotated audit files are kept. */
        @WithDefault("3")
        int auditRotatedFiles();

        /** Route table overrides and additions: terok.vault.providers.NAME.upstream|auth-header|auth-prefix|env.VAR|git-hosts|git-user|rules. */
        Map<String, ProviderOverride> providers();
    }

    interface ProviderOverride {
        Optional<String> upstream();

        Optional<String> authHeader();

        Optional<String> authPrefix();

        Map<String, String> env();

        /** The provider's OAuth token endpoint (POST grant_type=refresh_token); unset: OAuth tokens are not refreshed. */
        Optional<String> oauthRefreshUrl();

        /** Sent as client_id with a refresh, for endpoints that want one. */
        Optional<String> oauthClientId();

        /** Git hosts (host or host:port) whose https upstreams the gate reaches with this provider's credential. */
        Optional<java.util.List<String>> gitHosts();

        /** The user name sent with the credential to those hosts. */
        Optional<String> gitUser();

        /**
         * Method + path rules for the broker ("NAME: allow|deny METHODS PATH", first match, deny when none matches);
         * replaces the shipped list (github, gitlab) whole. See docs/vault.md#route-rules.
         */
        Optional<java.util.List<String>> rules();
    }
}
