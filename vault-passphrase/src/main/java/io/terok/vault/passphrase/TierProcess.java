package io.terok.vault.passphrase;

import io.terok.common.HostProcess;
import java.io.IOException;
import java.time.Duration;

/**
 * Runs a tier's helper program (keyctl, systemd-creds) through {@link HostProcess}: the secret goes through stdin and
 * stdout only, never the command line; a tool that hangs or cannot be started is a {@link TierFailedException} of
 * that tier, so the chain fails closed.
 */
final class TierProcess {
    private TierProcess() {
    }

    /** {@code stdin} null: /dev/null. {@code missingHint}: what to do when the program cannot be started. */
    static HostProcess.Result run(String tier, String program, Duration timeout, byte[] stdin, String missingHint,
                                  String... args) throws TierFailedException {
        // The C locale: the tiers tell a helper's errors apart by its (English) messages.
        HostProcess p = HostProcess.of(program, args).timeout(timeout).env("LC_ALL", "C");
        if (stdin != null) {
            p.stdin(stdin);
        }
        HostProcess.Result r;
        try {
            r = p.run();
        } catch (IOException e) {
            throw new TierFailedException(tier, "cannot run " + program + ": " + e.getMessage() + missingHint);
        }
        if (r.timedOut()) {
            throw new TierFailedException(tier, program + " " + args[0] + " did not finish within " + timeout.toSeconds() + " s");
        }
        return r;
    }
}
