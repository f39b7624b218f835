package io.terok.vault.passphrase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
}
