package io.terok.vault;

import io.terok.vault.broker.RouteTable;
import io.terok.vault.passphrase.PassphraseChain;
import io.terok.vault.passphrase.PassphraseTier;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/** Vaults for tests that use the vault directly (no service): the built-in providers, the system clock. */
public final class TestVaults {
    private TestVaults() {
    }

    /** A vault on {@code db} resolving its passphrase through {@code tiers}, still locked. */
    public static Vault of(Path db, PassphraseTier... tiers) {
        return new Vault(db, new PassphraseChain(List.of(tiers)), RouteTable.withOverrides(Map.of()), Clock.systemUTC());
    }

    /** A new vault under {@code dir}, unlocked with a typed passphrase. */
    public static Vault unlocked(Path dir) {
        Vault v = of(dir.resolve("data/credentials.db"));
        v.unlock("test-passphrase");
        return v;
    }
}
