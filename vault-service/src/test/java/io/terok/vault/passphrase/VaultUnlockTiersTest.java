package io.terok.vault.passphrase;

import io.terok.vault.TestVaults;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.vault.Vault;
import io.terok.common.ServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vault unlocking through its passphrase tiers: a typed passphrase remembered in the kernel keyring, a hold that
 * outlives restarts, a wrong tier passphrase, and a re-key written back into systemd-creds and the Secret Service.
 */
class VaultUnlockTiersTest {
    @TempDir
    Path dir;

    @Test
    void anUnlockIsRememberedInTheKernelKeyringAcrossARestartUntilLock() {
        Path db = dir.resolve("vault/credentials.db");
        KernelKeyringTier k = new KernelKeyringTier(db, "keyctl");
        try {
            try (Vault first = vault(db, k)) {
                assertThrows(ServiceException.class, () -> first.unlock(""));
                assertFalse(Files.exists(db), "no passphrase: no database created");
                assertEquals("prompt", first.unlock("typed passphrase").tier());
                first.putCredential("default", "anthropic", "api_key", "sk-1", null, null);
            }
            // A service restart: nothing typed, the kernel keyring unlocks it.
            try (Vault second = vault(db, k)) {
                second.autoUnlock();
                assertEquals("kernel-keyring", second.status().tier());
                assertEquals("sk-1", second.credential("default", "anthropic").orElseThrow().secret());
                second.lock();
            }
            try (Vault third = vault(db, k)) {
                third.autoUnlock();
                assertFalse(third.status().unlocked(), "lock forgot the cached passphrase");
                ServiceException wrong = assertThrows(ServiceException.class, () -> third.unlock("not it"));
                assertEquals(ServiceException.Kind.DENIED, wrong.kind());
            }
        } finally {
            k.forget();
        }
    }

    @Test
    void aHeldVaultStaysLockedAcrossRestartsUntilTheOperatorUnlocksIt() {
        Path db = dir.resolve("held/credentials.db");
        EnvTier tier = new EnvTier("PW", Map.of("PW", "tier-held passphrase"));
        try (Vault fresh = vault(db, tier)) {
            // terok panic before the vault was ever used: there is no database (nor its directory) to lock, and it
            // is held all the same
            assertFalse(fresh.lock(true).heldSince().isEmpty());
            fresh.autoUnlock();
            assertFalse(fresh.status().unlocked());
            assertFalse(Files.exists(db), "holding creates no database");
        }
        try (Vault first = vault(db, tier)) {
            assertTrue(first.unlock("").unlocked(), "the operator's unlock creates it and lifts the hold");
        }
        try (Vault v = vault(db, tier)) {
            v.autoUnlock();
            v.putCredential("default", "anthropic", "api_key", "sk-held", null, null);
            Vault.Status held = v.lock(true);
            assertFalse(held.unlocked());
            assertFalse(held.heldSince().isEmpty(), "the status says since when it is held");
            assertTrue(v.credential("default", "anthropic").isEmpty(), "nothing is served while held");
        }
        // The service restarts (or is made to crash): its tier still holds the passphrase, the hold keeps it locked.
        try (Vault restarted = vault(db, tier)) {
            restarted.autoUnlock();
            Vault.Status s = restarted.status();
            assertFalse(s.unlocked(), "a held vault does not unlock itself at start");
            assertTrue(s.error().contains("terok panic") && s.error().contains("terok vault unlock"), s.error());
            // The operator's explicit unlock lifts the hold; the next start unlocks from the tier again.
            assertTrue(restarted.unlock("").unlocked());
            assertEquals("", restarted.status().heldSince());
        }
        try (Vault again = vault(db, tier)) {
            again.autoUnlock();
            assertTrue(again.status().unlocked());
            assertEquals("sk-held", again.credential("default", "anthropic").orElseThrow().secret());
            // A plain lock is not a hold: the next start unlocks from the tier.
            assertEquals("", again.lock().heldSince());
        }
    }

    @Test
    void aWrongPassphraseFromATierIsAClearErrorAndTheFileIsKept() throws Exception {
        Path db = dir.resolve("v.db");
        try (Vault v = vault(db, new EnvTier("PW", Map.of("PW", "right")))) {
            v.unlock("");
        }
        byte[] before = Files.readAllBytes(db);
        try (Vault v = vault(db, new CommandTier("printf wrong", Duration.ofSeconds(5)))) {
            ServiceException e = assertThrows(ServiceException.class, () -> v.unlock(""));
            assertEquals(ServiceException.Kind.DENIED, e.kind());
            assertTrue(e.getMessage().contains("terok vault unlock"));
            assertTrue(v.status().error().contains("wrong passphrase"));
        }
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(db)));
    }

    @Test
    void theVaultUnlocksThroughEachSystemTierAndReKeysIntoIt() throws Exception {
        Path cred = SystemTiersTest.encrypt(dir, "first creds passphrase", "terok-vault-passphrase");
        Path db = dir.resolve("creds-vault/credentials.db");
        SystemdCredsTier creds = new SystemdCredsTier("terok-vault-passphrase", Optional.of(cred), "systemd-creds", Map.of());
        try (Vault v = vault(db, creds)) {
            v.autoUnlock();
            assertEquals("systemd-creds", v.status().tier());
            v.putCredential("default", "anthropic", "api_key", "sk-creds", null, null);
            v.changePassphrase("", "second creds passphrase");
        }
        assertEquals(Optional.of("second creds passphrase"), creds.resolve(), "the re-key updated the credential file");
        try (Vault v = vault(db, creds)) {
            v.autoUnlock();
            assertEquals("sk-creds", v.credential("default", "anthropic").orElseThrow().secret());
        }

        try (KeyringSession k = new KeyringSession()) {
            k.store("keyring vault passphrase", "application", "terok", "purpose", "vault-passphrase");
            Path db2 = dir.resolve("keyring-vault/credentials.db");
            SecretServiceTier keyring = new SecretServiceTier(Optional.of(k.busAddress), true);
            try (Vault v = vault(db2, keyring)) {
                v.autoUnlock();
                assertEquals("secret-service", v.status().tier());
                v.putCredential("default", "openai", "api_key", "sk-keyring", null, null);
                v.changePassphrase("", "next keyring passphrase");
            }
            assertEquals("next keyring passphrase", k.lookup("application", "terok", "purpose", "vault-passphrase"));
            try (Vault v = vault(db2, keyring)) {
                v.autoUnlock();
                assertEquals("sk-keyring", v.credential("default", "openai").orElseThrow().secret());
            }
        }
    }

    private static Vault vault(Path db, PassphraseTier... tiers) {
        return TestVaults.of(db, tiers);
    }
}
