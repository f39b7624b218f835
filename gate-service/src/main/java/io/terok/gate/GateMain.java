package io.terok.gate;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.terok.common.ports.LoopbackListener;
import io.terok.service.LoopbackPreflight;

/** The git server's port is decided and checked free before Quarkus starts (see {@link LoopbackPreflight}). */
@QuarkusMain
public class GateMain {

    public static void main(String... args) {
        LoopbackPreflight.claim(LoopbackListener.GATE_HTTP);
        Quarkus.run(args);
    }
}
