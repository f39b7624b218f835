package io.terok.vault;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.terok.common.TerokPaths;
import io.terok.common.ports.LoopbackListener;
import io.terok.service.LoopbackPreflight;
import io.terok.vault.store.VaultDatabase;
import java.nio.file.Path;

/**
 * The token broker's port is decided and checked free before Quarkus starts (see {@link LoopbackPreflight}); SQLCipher
 * is loaded meanwhile, for the unlock at start (see {@link VaultDatabase#preload}), and the unlock's tier chain and key
 * derivation run then (see {@link EarlyOpen}).
 */
@QuarkusMain
public class VaultMain {

    public static void main(String... args) {
        // The state directory's copy of SQLCipher's library: a cache, rewritten from the jar whenever it differs.
        Path nativeDir = TerokPaths.current().stateDir().resolve("vault").resolve("native");
        Runnable unlock = EarlyOpen.begin();
        Thread preload = new Thread(() -> {
            try {
                VaultDatabase.preload(nativeDir);
            } finally {
                // Always: the service's unlock at start waits for this run, which must end even if the preload threw.
                unlock.run();
            }
        }, "vault-sqlcipher-preload");
        preload.setDaemon(true);
        preload.start();
        LoopbackPreflight.claim(LoopbackListener.VAULT_BROKER);
        Quarkus.run(args);
    }
}
