package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ServiceException;
import io.terok.vault.passphrase.PassphraseTier;
import io.terok.vault.passphrase.TierFailedException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vault's unlock at start, run beside the server: calls that need the open vault wait for it and then get the
 * real answer; when it fails they are refused with its reason, never answered from the locked vault.
 */
class StartupUnlockTest {
    private static final String PASS = "startup-unlock passphrase";

    @TempDir
    Path dir;

    /** A tier whose passphrase command takes as long as the test wants. */
    private static final class SlowTier implements PassphraseTier {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch asked = new CountDownLatch(1);
        final String passphrase;

        SlowTier(String passphrase) {
            this.passphrase = passphrase;
        }

        @Override
        public String name() {
            return "slow";
        }

        @Override
        public Optional<String> resolve() throws TierFailedException {
            asked.countDown();
            try {
                if (!release.await(60, TimeUnit.SECONDS)) {
                    throw new TierFailedException(name(), "the test never released it");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TierFailedException(name(), "interrupted");
            }
            return Optional.of(passphrase);
        }
    }

    private Path vaultWithOneCredential() {
        Path db = dir.resolve("vault/credentials.db");
        try (Vault v = TestVaults.of(db)) {
            v.unlock(PASS);
            v.putCredential("default", "anthropic", "api_key", "sk-startup", null, null);
        }
        return db;
    }

    @Test
    void callsDuringASlowUnlockWaitForItAndThenGetTheRealAnswer() throws Exception {
        Path db = vaultWithOneCredential();
        SlowTier tier = new SlowTier(PASS);
        try (Vault v = TestVaults.of(db, tier)) {
            CompletableFuture<String> outcome = new CompletableFuture<>();
            StartupUnlock unlock = v.unlockAtStart(outcome::complete);
            assertTrue(tier.asked.await(30, TimeUnit.SECONDS), "the unlock asked its tier");
            assertTrue(unlock.running());
            assertEquals("unlocking (the vault service has just started)", v.seal().status().error());
            assertTrue(v.seal().status().unlocking());

            CompletableFuture<List<Vault.Credential>> list = CompletableFuture.supplyAsync(() -> v.listCredentials("default"));
            CompletableFuture<Boolean> unlocked = CompletableFuture.supplyAsync(v::unlocked);
            CompletableFuture<Vault.Status> status = CompletableFuture.supplyAsync(v::status);
            // they wait: neither a "locked" refusal nor an empty answer while the tier has not answered
            assertThrows(java.util.concurrent.TimeoutException.class, () -> list.get(300, TimeUnit.MILLISECONDS));
            assertFalse(unlocked.isDone());
            assertFalse(status.isDone());

            tier.release.countDown();
            assertEquals("sk-startup", list.get(30, TimeUnit.SECONDS).get(0).secret());
            assertTrue(unlocked.get(30, TimeUnit.SECONDS));
            assertTrue(status.get(30, TimeUnit.SECONDS).unlocked(), "the status waited for the unlock: no transient 'locked'");
            assertEquals("", outcome.get(30, TimeUnit.SECONDS), "no failure");
            assertFalse(unlock.running());
            assertEquals("slow", v.status().tier());
            assertFalse(v.status().unlocking());
        }
    }

    @Test
    void aFailedUnlockRefusesCallsWithItsReasonUntilAnUnlockSucceeds() throws Exception {
        Path db = vaultWithOneCredential();
        PassphraseTier broken = new PassphraseTier() {
            @Override
            public String name() {
                return "command";
            }

            @Override
            public Optional<String> resolve() throws TierFailedException {
                throw new TierFailedException(name(), "the passphrase command exited with 3");
            }
        };
        try (Vault v = TestVaults.of(db, broken)) {
            CompletableFuture<String> outcome = new CompletableFuture<>();
            v.unlockAtStart(outcome::complete);
            String failure = outcome.get(30, TimeUnit.SECONDS);
            assertTrue(failure.contains("the passphrase command exited with 3"), failure);

            ServiceException refused = assertThrows(ServiceException.class, () -> v.listCredentials("default"));
            assertEquals(ServiceException.Kind.UNAVAILABLE, refused.kind());
            assertTrue(refused.getMessage().startsWith("the vault could not be unlocked at start: "), refused.getMessage());
            assertTrue(refused.getMessage().contains("exited with 3"), refused.getMessage());
            assertThrows(ServiceException.class, () -> v.mint("t1", "p", List.of("anthropic"), "default", 60));
            assertFalse(v.unlocked());
            assertTrue(v.credential("default", "anthropic").isEmpty(), "nothing is answered from the locked vault");

            // the operator types the passphrase: the start's failure no longer explains anything
            assertTrue(v.unlock(PASS).unlocked());
            assertEquals("", v.startup().failure());
            assertEquals("sk-startup", v.listCredentials("default").get(0).secret());
        }
    }

    @Test
    void aWrongPassphraseInTheTierIsAFailureNotAnEmptyVault() throws Exception {
        Path db = vaultWithOneCredential();
        SlowTier wrong = new SlowTier("not the passphrase");
        wrong.release.countDown();
        try (Vault v = TestVaults.of(db, wrong)) {
            CompletableFuture<String> outcome = new CompletableFuture<>();
            v.unlockAtStart(outcome::complete);
            assertFalse(outcome.get(30, TimeUnit.SECONDS).isEmpty(), "a database that does not open is a failure");
            ServiceException refused = assertThrows(ServiceException.class, () -> v.listCredentials("default"));
            assertEquals(ServiceException.Kind.UNAVAILABLE, refused.kind());
        }
    }

    @Test
    void noTierHoldingAPassphraseIsALockedVaultNotAFailure() throws Exception {
        try (Vault v = TestVaults.of(dir.resolve("fresh/credentials.db"))) {
            CompletableFuture<String> outcome = new CompletableFuture<>();
            v.unlockAtStart(outcome::complete);
            assertEquals("", outcome.get(30, TimeUnit.SECONDS), "not set up yet: healthy, locked");
            ServiceException refused = assertThrows(ServiceException.class, () -> v.listCredentials("default"));
            assertEquals(ServiceException.Kind.PRECONDITION, refused.kind());
            assertEquals(VaultStorage.locked().getMessage(), refused.getMessage());
        }
    }

    @Test
    void theWaitIsBounded() throws Exception {
        StartupUnlock unlock = new StartupUnlock();
        ServiceException e = assertThrows(ServiceException.class, () -> unlock.await(Duration.ofMillis(100)));
        assertEquals(ServiceException.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().startsWith("the vault is unlocking"), e.getMessage());
        unlock.finish("");
        unlock.await(Duration.ofMillis(100)); // over: returns at once
    }
}
