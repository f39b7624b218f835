package io.terok.vault.passphrase;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the tier chain is built from (the {@code terok.vault.*} passphrase keys), as a plain record so that the
 * provisioning can build the chain a changed configuration would give.
 *
 * @param systemdCredsName the credential name ({@code $CREDENTIALS_DIRECTORY/<name>}, {@code --name=})
 * @param systemdCredsFile an encrypted credential to decrypt; set: the tier must deliver
 * @param secretService empty: probe the Secret Service; true: it must hold the item; false: off
 * @param secretServiceBus the session bus; empty: {@code DBUS_SESSION_BUS_ADDRESS}
 */
public record TierSettings(String systemdCredsName, Optional<Path> systemdCredsFile, String systemdCreds,
                           Optional<Boolean> secretService, Optional<String> secretServiceBus, boolean kernelKeyring,
                           String keyctl, Optional<String> passphraseCommand, Duration passphraseCommandTimeout,
                           Optional<String> passphraseEnv) {

    /** The chain in the order: systemd-creds, Secret Service, kernel keyring, command, env. */
    public PassphraseChain chain(Path database, Map<String, String> env) {
        List<PassphraseTier> tiers = new ArrayList<>();
        tiers.add(systemdCredsTier(env));
        if (secretService.orElse(true)) {
            tiers.add(secretServiceTier(env));
        }
        if (kernelKeyring) {
            tiers.add(new KernelKeyringTier(database, keyctl));
        }
        passphraseCommand.ifPresent(c -> tiers.add(new CommandTier(c, passphraseCommandTimeout)));
        passphraseEnv.ifPresent(v -> tiers.add(new EnvTier(v, env)));
        return new PassphraseChain(tiers);
    }

    public SystemdCredsTier systemdCredsTier(Map<String, String> env) {
        return new SystemdCredsTier(systemdCredsName, systemdCredsFile, systemdCreds, env);
    }

    public SecretServiceTier secretServiceTier(Map<String, String> env) {
        return new SecretServiceTier(secretServiceBus.or(() -> Optional.ofNullable(env.get("DBUS_SESSION_BUS_ADDRESS"))),
                secretService.orElse(false));
    }

    /** Whether any persistent source is configured (setup must not provision over it). */
    public boolean sourceConfigured() {
        return systemdCredsFile.isPresent() || secretService.orElse(false) || passphraseCommand.isPresent()
                || passphraseEnv.isPresent();
    }

    public TierSettings withSystemdCredsFile(Path file) {
        return new TierSettings(systemdCredsName, Optional.of(file), systemdCreds, secretService, secretServiceBus,
                kernelKeyring, keyctl, passphraseCommand, passphraseCommandTimeout, passphraseEnv);
    }

    public TierSettings withSecretService() {
        return new TierSettings(systemdCredsName, systemdCredsFile, systemdCreds, Optional.of(true), secretServiceBus,
                kernelKeyring, keyctl, passphraseCommand, passphraseCommandTimeout, passphraseEnv);
    }
}
