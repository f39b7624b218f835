package io.terok.vault;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.terok.common.ports.LoopbackListener;
import io.terok.service.LoopbackPreflight;

/** The token broker's port is decided and checked free before Quarkus starts (see {@link LoopbackPreflight}). */
@QuarkusMain
public class VaultMain {

    public static void main(String... args) {
        LoopbackPreflight.claim(LoopbackListener.VAULT_BROKER);
        Quarkus.run(args);
    }
}
