package io.terok.vault.passphrase;

import io.terok.vault.TestVaults;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.vault.Vault;
import io.terok.common.ServiceException;
import io.terok.vault.VaultSetup;
import io.terok.vault.broker.RouteTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code terok setup}'s vault step with temporary data and config directories and the real tiers: systemd-creds when
 * usable (root here and in CI), else a real gnome-keyring Secret Service, else the kernel keyring with a warning. The
 * result is recorded in config.yaml, the vault is created and unlocked, and a second run changes nothing.
 */
class ProvisionerTest {
    @TempDir
    Path dir;

    private Path data() {
        return dir.resolve("data/terok");
    }

    private Path db() {
        return data().resolve("vault/credentials.db");
    }

    private Path config() {
        return dir.resolve("config/terok/config.yaml");
    }

    private static TierSettings settings(String systemdCreds, Optional<String> bus, Optional<String> command) {
        return new TierSettings(SystemdCredsTier.DEFAULT_NAME, Optional.empty(), systemdCreds, Optional.empty(), bus, true,
                "keyctl", command, Duration.ofSeconds(10), Optional.empty());
    }

    private Vault vault(TierSettings s, Map<String, String> env) {
        return new Vault(db(), s.chain(db(), env), RouteTable.withOverrides(Map.of()), Clock.systemUTC());
    }

    /** The settings a service restarted on the written config.yaml would have (the keys setup writes). */
    @SuppressWarnings("unchecked")
    private TierSettings fromConfig(TierSettings base) throws Exception {
        Map<String, Object> vault = (Map<String, Object>) ((Map<String, Object>) ConfigYaml.read(config()).get("terok")).get("vault");
        TierSettings s = base;
        if (vault.get("systemd-creds-file") != null) {
            s = s.withSystemdCredsFile(Path.of((String) vault.get("systemd-creds-file")));
        }
        if (Boolean.TRUE.equals(vault.get("secret-service"))) {
            s = s.withSecretService();
        }
        return s;
    }

    @Test
    void setupProvisionsSystemdCredsRecordsItAndIsIdempotent() throws Exception {
        KeyringSession.require("systemd-creds");
        Files.createDirectories(config().getParent());
        Files.writeString(config(), "terok:\n  vault:\n    broker-port: 9555\n  gate:\n    http-port: 9556\n");
        TierSettings base = settings("systemd-creds", Optional.empty(), Optional.empty());
        Map<String, String> env = Map.of();
        try (Vault v = vault(base, env)) {
            VaultSetup setup = new VaultSetup(v, base, data().resolve("vault/passphrase.cred"), config(), env);
            v.lock(true); // a `terok panic` before the vault ever existed: setup is the operator's explicit unlock
            Provisioner.Result r = setup.provision("");
            assertEquals(Provisioner.Outcome.PROVISIONED, r.outcome());
            assertEquals("", v.status().heldSince(), "setup lifted the hold");
            assertEquals("systemd-creds", r.tier());
            assertTrue(r.passphrase().isEmpty(), "a lasting tier: the passphrase is never shown");
            assertTrue(v.status().unlocked() && Files.size(db()) > 0, "the database is created and open");
            assertEquals("systemd-creds", v.status().tier());
            Path cred = data().resolve("vault/passphrase.cred");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cred)));
            assertFalse(Files.readString(cred, java.nio.charset.StandardCharsets.ISO_8859_1).contains(r.generated()));
            assertTrue(r.generated().length() >= 43, "256 random bits");
            String yaml = Files.readString(config());
            assertTrue(yaml.contains("systemd-creds-file: " + cred) && yaml.contains("broker-port: 9555")
                    && yaml.contains("http-port: 9556"), "the source is recorded and the operator's keys kept:\n" + yaml);
            assertTrue(Files.exists(config().resolveSibling("config.yaml.before-setup")));
            v.putCredential("default", "anthropic", "api_key", "sk-provisioned", null, null);

            byte[] configBefore = Files.readAllBytes(config());
            byte[] credBefore = Files.readAllBytes(cred);
            Provisioner.Result again = setup.provision("");
            assertEquals(Provisioner.Outcome.ALREADY_HAS_DATABASE, again.outcome());
            assertArrayEquals(configBefore, Files.readAllBytes(config()), "a second run writes nothing");
            assertArrayEquals(credBefore, Files.readAllBytes(cred));
        }
        // A restarted service reading the recorded configuration unlocks by itself.
        try (Vault v = vault(fromConfig(base), env)) {
            v.autoUnlock();
            assertEquals("systemd-creds", v.status().tier());
            assertEquals("sk-provisioned", v.credential("default", "anthropic").orElseThrow().secret());
        }
    }

    @Test
    void withoutSystemdCredsSetupUsesTheSecretService() throws Exception {
        try (KeyringSession k = new KeyringSession()) {
            TierSettings base = settings("/nonexistent/systemd-creds", Optional.of(k.busAddress), Optional.empty());
            Map<String, String> env = Map.of();
            try (Vault v = vault(base, env)) {
                Provisioner.Result r = new VaultSetup(v, base, data().resolve("vault/passphrase.cred"), config(), env).provision("");
                assertEquals("secret-service", r.tier(), r.detail());
                assertEquals(r.generated(), k.lookup("application", "terok", "purpose", "vault-passphrase"),
                        "the keyring holds the generated passphrase");
                assertTrue(Files.readString(config()).contains("secret-service: true"));
                assertFalse(Files.exists(data().resolve("vault/passphrase.cred")));
                assertEquals("secret-service", v.status().tier());
            }
            try (Vault v = vault(fromConfig(base), env)) {
                v.autoUnlock();
                assertEquals("secret-service", v.status().tier());
            }
        }
    }

    @Test
    void withNeitherSetupFallsBackToTheKernelKeyringWithAWarning() throws Exception {
        TierSettings base = settings("/nonexistent/systemd-creds", Optional.of("unix:path=" + dir.resolve("no-bus")), Optional.empty());
        KernelKeyringTier kernel = new KernelKeyringTier(db(), "keyctl");
        try (Vault v = vault(base, Map.of())) {
            Provisioner.Result r = new VaultSetup(v, base, data().resolve("vault/passphrase.cred"), config(), Map.of()).provision("");
            assertEquals("kernel-keyring", r.tier());
            assertTrue(r.warnings().get(0).contains("reboot"), r.warnings().toString());
            assertEquals(Optional.of(r.generated()), r.passphrase(), "shown once so the operator can write it down");
            assertEquals(Optional.of(r.generated()), kernel.resolve());
            assertFalse(Files.exists(config()), "nothing to record: the kernel keyring is always in the chain");
            assertTrue(v.status().unlocked());
        } finally {
            kernel.forget();
        }
    }

    @Test
    void setupNeverReplacesAConfiguredSourceOrAnExistingDatabase() throws Exception {
        TierSettings withCommand = settings("systemd-creds", Optional.empty(), Optional.of("printf operator-pass"));
        try (Vault v = vault(withCommand, Map.of())) {
            Provisioner.Result r = new VaultSetup(v, withCommand, data().resolve("vault/passphrase.cred"), config(), Map.of()).provision("");
            assertEquals(Provisioner.Outcome.ALREADY_HAS_SOURCE, r.outcome());
            assertFalse(Files.exists(config()) || Files.exists(db()) || Files.exists(data().resolve("vault/passphrase.cred")));
        }
        // A database made with a typed passphrase: setup leaves it (and its passphrase) alone.
        TierSettings plain = settings("systemd-creds", Optional.empty(), Optional.empty());
        try (Vault v = TestVaults.of(db())) {
            v.unlock("typed");
        }
        try (Vault v = vault(plain, Map.of())) {
            Provisioner.Result r = new VaultSetup(v, plain, data().resolve("vault/passphrase.cred"), config(), Map.of()).provision("");
            assertEquals(Provisioner.Outcome.ALREADY_HAS_DATABASE, r.outcome());
            assertFalse(Files.exists(config()));
        } finally {
            new KernelKeyringTier(db(), "keyctl").forget();
        }
    }

    @Test
    void aBrokenTierStopsSetupAndAnUnusableRequestedTierIsAnError() throws Exception {
        // systemd loaded an unreadable credential for the unit: setup fails closed instead of provisioning another.
        Path creds = Files.createDirectories(dir.resolve("creds"));
        Path loaded = creds.resolve(SystemdCredsTier.DEFAULT_NAME);
        Files.createDirectory(loaded);
        Map<String, String> env = new HashMap<>(Map.of("CREDENTIALS_DIRECTORY", creds.toString()));
        TierSettings base = settings("systemd-creds", Optional.empty(), Optional.empty());
        try (Vault v = vault(base, env)) {
            VaultSetup setup = new VaultSetup(v, base, data().resolve("vault/passphrase.cred"), config(), env);
            ServiceException e = assertThrows(ServiceException.class, () -> setup.provision(""));
            assertTrue(e.getMessage().contains("systemd-creds") && e.getMessage().contains("LoadCredentialEncrypted"), e.getMessage());
            assertFalse(Files.exists(db()) || Files.exists(config()));
        }
        TierSettings noBus = settings("systemd-creds", Optional.of("unix:path=" + dir.resolve("no-bus")), Optional.empty());
        try (Vault v = vault(noBus, Map.of())) {
            VaultSetup setup = new VaultSetup(v, noBus, data().resolve("vault/passphrase.cred"), config(), Map.of());
            ServiceException e = assertThrows(ServiceException.class, () -> setup.provision("secret-service"));
            assertTrue(e.getMessage().contains("not usable") && e.getMessage().contains("D-Bus"), e.getMessage());
            assertThrows(ServiceException.class, () -> setup.provision("floppy"));
            assertFalse(Files.exists(db()));
        }
    }
}
