package io.terok.vault.passphrase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.vault.Vault;
import io.terok.vault.VaultException;
import io.terok.vault.broker.RouteTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each passphrase tier against the real thing (a shell command, the kernel keyring through keyctl), and fail-closed. */
class PassphraseTiersTest {
    @TempDir
    Path dir;

    @Test
    void theCommandTierReturnsTheCommandsOutputWithoutTheNewline() throws Exception {
        assertEquals(Optional.of("s3cret with spaces"), new CommandTier("printf 's3cret with spaces\\n'", Duration.ofSeconds(10)).resolve());
    }

    @Test
    void aBrokenCommandFailsClosedNamingTheSetting() {
        TierFailedException exit = assertThrows(TierFailedException.class, () -> new CommandTier("echo leaked >&2; exit 3", Duration.ofSeconds(10)).resolve());
        assertTrue(exit.getMessage().contains("exited with 3") && exit.getMessage().contains("terok.vault.passphrase-command"), exit.getMessage());
        assertFalse(exit.getMessage().contains("leaked"), "the helper's stderr is not repeated");
        assertThrows(TierFailedException.class, () -> new CommandTier("true", Duration.ofSeconds(10)).resolve());
        TierFailedException slow = assertThrows(TierFailedException.class, () -> new CommandTier("sleep 5", Duration.ofMillis(300)).resolve());
        assertTrue(slow.getMessage().contains("did not finish"));
    }

    @Test
    void aBrokenConfiguredTierStopsTheChainBeforeAWorkingLaterOne() {
        PassphraseChain chain = new PassphraseChain(List.of(new CommandTier("exit 1", Duration.ofSeconds(5)),
                new EnvTier("PW", Map.of("PW", "from-env"))));
        TierFailedException e = assertThrows(TierFailedException.class, chain::resolve);
        assertEquals("command", e.tier());
    }

    @Test
    void theEnvTierFailsClosedWhenTheVariableIsUnset() throws Exception {
        assertEquals(Optional.of("x"), new EnvTier("PW", Map.of("PW", "x")).resolve());
        assertThrows(TierFailedException.class, () -> new EnvTier("PW", Map.of()).resolve());
    }

    @Test
    void theKernelKeyringStoresResolvesAndForgets() throws Exception {
        KernelKeyringTier k = new KernelKeyringTier(dir.resolve("credentials.db"), "keyctl");
        assertTrue(k.available(), "keyctl (package keyutils) is required: bin/prepare-host installs it");
        try {
            assertEquals(Optional.empty(), k.resolve());
            k.store("kernel-held passphrase");
            assertEquals(Optional.of("kernel-held passphrase"), k.resolve());
            k.forget();
            k.store("second");
            assertEquals(Optional.of("second"), k.resolve());
        } finally {
            k.forget();
        }
        assertEquals(Optional.empty(), k.resolve());
    }

    @Test
    void anUnlockIsRememberedInTheKernelKeyringAcrossARestartUntilLock() {
        Path db = dir.resolve("vault/credentials.db");
        KernelKeyringTier k = new KernelKeyringTier(db, "keyctl");
        try {
            try (Vault first = vault(db, k)) {
                assertThrows(VaultException.class, () -> first.unlock(""));
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
                VaultException wrong = assertThrows(VaultException.class, () -> third.unlock("not it"));
                assertEquals(VaultException.Kind.DENIED, wrong.kind());
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
            VaultException e = assertThrows(VaultException.class, () -> v.unlock(""));
            assertEquals(VaultException.Kind.DENIED, e.kind());
            assertTrue(e.getMessage().contains("terok vault unlock"));
            assertTrue(v.status().error().contains("wrong passphrase"));
        }
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(db)));
    }

    private static Vault vault(Path db, PassphraseTier... tiers) {
        return new Vault(db, new PassphraseChain(List.of(tiers)), RouteTable.withOverrides(Map.of()), Clock.systemUTC());
    }
}
