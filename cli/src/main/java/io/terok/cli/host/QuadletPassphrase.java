package io.terok.cli.host;

import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.common.HostProcess;
import io.terok.vault.passphrase.ConfigYaml;
import io.terok.vault.passphrase.SecretServiceTier;
import io.terok.vault.passphrase.SystemdCredsTier;
import io.terok.vault.passphrase.TierFailedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The containerised vault's passphrase in the Quadlet deployment ({@code terok setup --user|--system}, {@code doctor},
 * {@code uninstall --purge}). The vault is not running when setup runs, so setup itself keeps a generated passphrase
 * where the vault's tier chain will find it at every start, with the vault's own tier classes:
 * <ul>
 * <li>system (root): encrypted with the real {@code systemd-creds encrypt --name=terok-vault-passphrase} (secret on
 * stdin, host key) into {@link Deployment#vaultCredential()}; the vault unit then loads it with
 * {@code LoadCredentialEncrypted=} (see {@link Deployment#unitContent(String, String, boolean)}).</li>
 * <li>user: systemd 252 has no {@code systemd-creds --user}, so the OS keyring: the Secret Service item the vault's
 * {@link SecretServiceTier} looks up, on the session bus the vault unit mounts ({@code %t/bus}), and
 * {@code terok.vault.secret-service: true} in {@code %E/terok/config.yaml} so that the vault fails closed without it.</li>
 * </ul>
 * Never over an existing passphrase: a credential file, a keyring item, a configured source or an existing database
 * (whose passphrase setup cannot know) leave everything as it is. The passphrase is never written in clear, never on
 * a command line, never printed.
 */
final class QuadletPassphrase {
    /** What setup did: a state word (generated, unchanged, none) and the line's detail; notes follow it. */
    record Outcome(String state, String detail, List<String> notes) {
    }

    static final String DATABASE = "credentials.db";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The persistent sources a configuration can name (the vault's TierSettings.sourceConfigured). */
    private static final List<String> SOURCE_KEYS = List.of("terok.vault.systemd-creds-file", "terok.vault.passphrase-command",
            "terok.vault.passphrase-env");
    static final String SECRET_SERVICE_KEY = "terok.vault.secret-service";
    private static final String LOCKED = "the vault will start locked: after each start run `terok vault unlock --prompt`";

    private final Context ctx;
    private final Deployment dep;

    QuadletPassphrase(Context ctx, Deployment dep) {
        this.ctx = ctx;
        this.dep = dep;
    }

    Outcome provision() throws IOException {
        Map<String, Object> config = flatConfig();
        Optional<String> source = SOURCE_KEYS.stream().filter(k -> config.get(k) != null).findFirst();
        if (source.isPresent()) {
            return new Outcome("unchanged", "config.yaml sets " + source.get() + "; setup leaves it alone", List.of());
        }
        return dep.mode == Deployment.Mode.SYSTEM ? provisionSystem() : provisionUser(config);
    }

    private Outcome provisionSystem() throws IOException {
        Path file = dep.vaultCredential();
        if (Files.exists(file)) {
            return new Outcome("unchanged", "encrypted systemd credential " + file + ", loaded by the vault unit", List.of());
        }
        Optional<String> db = database();
        if (db.isPresent()) {
            return new Outcome("unchanged", "the vault database exists (" + db.get() + "); setup never replaces its passphrase",
                    List.of(LOCKED + ", or keep that passphrase as a credential: `systemd-creds encrypt --name="
                            + Deployment.VAULT_CREDENTIAL + " - " + file + "` (passphrase on stdin), then `terok setup --system` again"));
        }
        SystemdCredsTier creds = credsTier();
        if (!creds.usable()) {
            return new Outcome("none", "systemd-creds cannot encrypt and decrypt a credential here", List.of(LOCKED
                    + "; install systemd (systemd-creds) and run `terok setup --system` again"));
        }
        try {
            creds.save(generate());
        } catch (TierFailedException e) {
            throw new CliException("cannot keep the vault passphrase: " + e.getMessage(), "fix that and run `terok setup --system` again");
        }
        return new Outcome("generated", "256 random bits, encrypted with systemd-creds (name " + Deployment.VAULT_CREDENTIAL
                + ", this host's key) in " + file + "; the vault unit loads it (LoadCredentialEncrypted=)", List.of());
    }

    private Outcome provisionUser(Map<String, Object> config) throws IOException {
        Object configured = config.get(SECRET_SERVICE_KEY);
        if (Boolean.FALSE.equals(configured) || "false".equals(String.valueOf(configured))) {
            return new Outcome("unchanged", "config.yaml sets " + SECRET_SERVICE_KEY + ": false", List.of(LOCKED));
        }
        SecretServiceTier keyring = keyringTier();
        String bus = dep.sessionBusAddress();
        Optional<Boolean> item = keyring.hasItem();
        if (item.orElse(false)) {
            boolean recorded = record();
            return new Outcome("unchanged", "the keyring on " + bus + " already holds the item application=terok"
                    + " purpose=vault-passphrase" + (recorded ? "; recorded " + SECRET_SERVICE_KEY + ": true in " + dep.configFile() : ""),
                    List.of());
        }
        Optional<String> db = database();
        if (db.isPresent()) {
            return new Outcome("unchanged", "the vault database exists (" + db.get() + "); setup never replaces its passphrase",
                    List.of(LOCKED + ", or keep that passphrase in your keyring: `secret-tool store --label='terok vault passphrase'"
                            + " application terok purpose vault-passphrase` (it asks for it), then `terok setup --user` again"));
        }
        if (item.isEmpty() || !keyring.usable()) {
            String why = item.isEmpty() ? "no Secret Service (org.freedesktop.secrets) answers on " + bus
                    : "the keyring on " + bus + " has no unlocked default collection";
            return new Outcome("none", why, List.of(LOCKED,
                    "for an automatic unlock: install a keyring (Debian/Ubuntu: apt-get install gnome-keyring), log in again"
                            + " so that it runs unlocked in your session, then `terok setup --user` again"));
        }
        try {
            keyring.save(generate());
        } catch (TierFailedException e) {
            throw new CliException("cannot keep the vault passphrase: " + e.getMessage(), "fix that and run `terok setup --user` again");
        }
        record();
        return new Outcome("generated", "256 random bits, stored in the keyring on " + bus + " (application=terok"
                + " purpose=vault-passphrase); recorded " + SECRET_SERVICE_KEY + ": true in " + dep.configFile(), List.of());
    }

    /** Records {@code terok.vault.secret-service: true} unless it is there; returns whether it wrote. */
    private boolean record() throws IOException {
        if (Boolean.TRUE.equals(flatConfig().get(SECRET_SERVICE_KEY))) {
            return false;
        }
        ConfigYaml.set(dep.configFile(), Map.of(SECRET_SERVICE_KEY, true));
        return true;
    }

    /** {@code terok doctor}: where the containerised vault's passphrase comes from, or how to get one. */
    Check check() {
        String label = "vault passphrase";
        String flag = dep.mode.systemctlFlag();
        Map<String, Object> config;
        try {
            config = flatConfig();
        } catch (IOException e) {
            return Check.error(label, e.getMessage(), "fix " + dep.configFile());
        }
        Optional<String> source = SOURCE_KEYS.stream().filter(k -> config.get(k) != null).findFirst();
        if (source.isPresent()) {
            return Check.ok(label, "config.yaml sets " + source.get());
        }
        if (dep.mode == Deployment.Mode.SYSTEM) {
            Path file = dep.vaultCredential();
            return Files.isRegularFile(file) ? Check.ok(label, "systemd credential " + file + ", loaded by the vault unit")
                    : Check.warn(label, "no systemd credential (" + file + "): " + LOCKED, "`terok setup --system` creates one for a new vault");
        }
        boolean required = Boolean.TRUE.equals(config.get(SECRET_SERVICE_KEY));
        String bus = dep.sessionBusAddress();
        Optional<Boolean> item = keyringTier().hasItem();
        if (item.orElse(false)) {
            return required ? Check.ok(label, "in the keyring on " + bus)
                    : Check.warn(label, "in the keyring on " + bus + ", but " + SECRET_SERVICE_KEY + " is not set: a missing"
                            + " keyring would not stop the chain", "run `terok setup " + flag + "`");
        }
        if (required) {
            return Check.error(label, SECRET_SERVICE_KEY + " is true but " + (item.isEmpty() ? "no Secret Service answers on " + bus
                    : "the keyring on " + bus + " has no item application=terok purpose=vault-passphrase") + ": the vault stays locked",
                    "start your keyring (gnome-keyring) in this session, or restore the item");
        }
        return Check.warn(label, (item.isEmpty() ? "no Secret Service on " + bus : "no keyring item") + ": " + LOCKED,
                "install a keyring (apt-get install gnome-keyring), log in again, then `terok setup " + flag + "`");
    }

    /** {@code uninstall --purge}: the passphrase goes with the database it unlocks. */
    String purge() {
        if (dep.mode == Deployment.Mode.SYSTEM) {
            try {
                return Files.deleteIfExists(dep.vaultCredential()) ? "removed (" + dep.vaultCredential() + ")" : "none";
            } catch (IOException e) {
                throw new CliException("cannot remove " + dep.vaultCredential() + ": " + e.getMessage(), "remove it by hand");
            }
        }
        try {
            int n = keyringTier().delete();
            return n > 0 ? "removed from the keyring on " + dep.sessionBusAddress() : "none";
        } catch (TierFailedException e) {
            throw new CliException("cannot remove the vault passphrase from the keyring: " + e.getMessage(),
                    "delete the item application=terok purpose=vault-passphrase yourself (secret-tool clear application terok"
                            + " purpose vault-passphrase)");
        }
    }

    private SecretServiceTier keyringTier() {
        return new SecretServiceTier(Optional.of(dep.sessionBusAddress()), false);
    }

    private SystemdCredsTier credsTier() {
        Path bin = HostProcess.which("systemd-creds", ctx.env.get("PATH"));
        return new SystemdCredsTier(Deployment.VAULT_CREDENTIAL, Optional.of(dep.vaultCredential()),
                bin != null ? bin.toString() : "systemd-creds", ctx.env);
    }

    /**
     * The vault's database in its data volume, when it exists (setup must not provision over it). Unreadable counts as
     * existing: never guess in favour of replacing a passphrase.
     */
    Optional<String> database() throws IOException {
        Path podman = HostProcess.which("podman", ctx.env.get("PATH"));
        if (podman == null) {
            return Optional.empty();
        }
        HostProcess.Result r = HostProcess.of(podman.toString(), "volume", "inspect",
                "--format", "{{.Mountpoint}}", "terok-vault-data").timeout(ImageBuilder.QUICK).run();
        if (!r.ok() || r.stdout().isBlank()) {
            return Optional.empty();
        }
        Path db = Path.of(r.stdout().strip()).resolve(DATABASE);
        try {
            return Files.exists(db) && Files.size(db) > 0 ? Optional.of(db.toString()) : Optional.empty();
        } catch (IOException e) {
            return Optional.of(db.toString());
        }
    }

    /** config.yaml as dotted keys (nested mappings and dotted keys both count, as Quarkus reads them). */
    Map<String, Object> flatConfig() throws IOException {
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", ConfigYaml.read(dep.configFile()), flat);
        return flat;
    }

    private static void flatten(String prefix, Map<?, ?> node, Map<String, Object> into) {
        for (Map.Entry<?, ?> e : node.entrySet()) {
            String key = prefix + e.getKey();
            if (e.getValue() instanceof Map<?, ?> m) {
                flatten(key + ".", m, into);
            } else {
                into.put(key, e.getValue());
            }
        }
    }

    /** 256 random bits, base64url without padding, as the vault's own provisioning generates them. */
    static String generate() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
