package io.terok.vault.passphrase;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code terok setup}'s vault step: when the vault has neither a database nor a passphrase source, generate a strong
 * passphrase and keep it in the best tier this host offers: an encrypted systemd credential (survives reboots, bound
 * to this host), else the Secret Service (the desktop keyring), else the kernel keyring (lost at reboot: the
 * passphrase is then handed back once so the operator can write it down). The chosen source is recorded in
 * {@code config.yaml}. An existing database or source is never replaced; a second run changes nothing.
 */
public final class Provisioner {
    public enum Outcome { PROVISIONED, ALREADY_HAS_DATABASE, ALREADY_HAS_SOURCE }

    /**
     * @param passphrase only for the kernel keyring (it does not survive a reboot): shown once to the operator
     */
    public record Result(Outcome outcome, String tier, String detail, TierSettings settings, Optional<String> passphrase,
                         List<String> warnings, String generated) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final TierSettings settings;
    private final Path database;
    private final Path credentialFile;
    private final Path configFile;
    private final Map<String, String> env;

    /**
     * @param credentialFile where an encrypted systemd credential goes ({@code <data dir>/vault/passphrase.cred})
     */
    public Provisioner(TierSettings settings, Path database, Path credentialFile, Path configFile, Map<String, String> env) {
        this.settings = settings;
        this.database = database;
        this.credentialFile = credentialFile;
        this.configFile = configFile;
        this.env = env;
    }

    /**
     * @param only empty: the best available tier; else one of systemd-creds, secret-service, kernel-keyring
     */
    public Result provision(String only) throws TierFailedException {
        if (!only.isEmpty() && !List.of("systemd-creds", "secret-service", "kernel-keyring").contains(only)) {
            throw new IllegalArgumentException("tier: '" + only + "' is not one of systemd-creds, secret-service, kernel-keyring");
        }
        if (exists(database)) {
            return new Result(Outcome.ALREADY_HAS_DATABASE, "", "the vault database " + database + " exists; setup never"
                    + " replaces it or its passphrase", settings, Optional.empty(), List.of(), "");
        }
        if (settings.sourceConfigured()) {
            return new Result(Outcome.ALREADY_HAS_SOURCE, "", "a passphrase source is already configured in the terok.vault.*"
                    + " settings; setup leaves it alone", settings, Optional.empty(), List.of(), "");
        }
        // A tier that already holds a passphrase (a loaded credential, a keyring item) is the operator's: keep it.
        // A broken one fails closed here too.
        Optional<PassphraseChain.Resolved> held = settings.chain(database, env).resolve();
        if (held.isPresent()) {
            return new Result(Outcome.ALREADY_HAS_SOURCE, held.get().tier(), "the " + held.get().tier() + " tier already holds"
                    + " a passphrase; setup leaves it alone", settings, Optional.empty(), List.of(), "");
        }
        String pass = generate();
        SystemdCredsTier creds = settings.withSystemdCredsFile(credentialFile).systemdCredsTier(env);
        if (want(only, "systemd-creds") && !exists(credentialFile) && creds.usable()) {
            creds.save(pass);
            TierSettings next = settings.withSystemdCredsFile(credentialFile);
            record(Map.of("terok.vault.systemd-creds-file", credentialFile.toString()), () -> Files.deleteIfExists(credentialFile));
            return new Result(Outcome.PROVISIONED, creds.name(), "encrypted with systemd-creds (name "
                    + creds.credential() + ") in " + credentialFile, next, Optional.empty(), List.of(), pass);
        }
        SecretServiceTier keyring = settings.withSecretService().secretServiceTier(env);
        if (want(only, "secret-service") && keyring.usable()) {
            keyring.save(pass);
            record(Map.of("terok.vault.secret-service", true), () -> { });
            return new Result(Outcome.PROVISIONED, keyring.name(), "stored in the Secret Service on "
                    + keyring.busAddress().orElse("") + " (attributes application=terok purpose=vault-passphrase)",
                    settings.withSecretService(), Optional.empty(), List.of(), pass);
        }
        KernelKeyringTier kernel = new KernelKeyringTier(database, settings.keyctl());
        if (want(only, "kernel-keyring") && settings.kernelKeyring() && kernel.available()) {
            kernel.forget();
            kernel.store(pass);
            return new Result(Outcome.PROVISIONED, kernel.name(), "kept in the kernel user keyring", settings, Optional.of(pass),
                    List.of("the kernel keyring is emptied at reboot and by `terok vault lock`: write the passphrase down"
                            + " and unlock with `terok vault unlock --prompt` then, or configure a lasting tier"
                            + " (systemd-creds as root, a desktop keyring, or terok.vault.passphrase-command)"), pass);
        }
        throw new TierFailedException(only.isEmpty() ? "setup" : only, (only.isEmpty() ? "no tier can keep a generated passphrase"
                : "the tier is not usable here") + " (systemd-creds needs root or a TPM, the Secret Service a D-Bus session"
                + " bus with an unlocked keyring, the kernel keyring keyctl from keyutils); configure"
                + " terok.vault.passphrase-command, or create the vault with `terok vault unlock --prompt`");
    }

    private interface Undo {
        void run() throws IOException;
    }

    private void record(Map<String, Object> keys, Undo undo) throws TierFailedException {
        try {
            ConfigYaml.set(configFile, keys);
        } catch (IOException e) {
            try {
                undo.run();
            } catch (IOException ignored) {
                // reported below
            }
            throw new TierFailedException("setup", "cannot record the passphrase source in " + configFile + ": " + e.getMessage());
        }
    }

    private static boolean want(String only, String tier) {
        return only.isEmpty() || only.equals(tier);
    }

    private static boolean exists(Path p) {
        try {
            return Files.exists(p) && Files.size(p) > 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** 256 random bits, base64url without padding (43 characters). */
    static String generate() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
