package io.terok.vault;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.terok.common.ports.LoopbackListener;
import io.terok.service.LoopbackPreflight;
import io.terok.vault.store.VaultDatabase;

/**
 * The token broker's port is decided and checked free before Quarkus starts (see {@link LoopbackPreflight}); SQLCipher
 * is loaded meanwhile, for the unlock at start (see {@link VaultDatabase#preload()}).
 */
@QuarkusMain
public class VaultMain {

    public static void main(String... args) {
        Thread preload = new Thread(VaultDatabase::preload, "vault-sqlcipher-preload");
        preload.setDaemon(true);
        preload.start();
        LoopbackPreflight.claim(LoopbackListener.VAULT_BROKER);
        Quarkus.run(args);
    }
}
