package io.terok.vault.passphrase;

import io.terok.common.HostProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code terok.vault.passphrase-command}: a shell command (e.g. {@code pass show terok/vault}) whose standard output,
 * minus the trailing newline, is the passphrase. When configured, it must deliver: a non-zero exit, a timeout or an
 * empty answer is an error, never a reason to try another tier.
 */
public final class CommandTier implements PassphraseTier {
    private final String command;
    private final Duration timeout;

    public CommandTier(String command, Duration timeout) {
        this.command = command;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "command";
    }

    @Override
    public Optional<String> resolve() throws TierFailedException {
        HostProcess.Result r;
        try {
            r = HostProcess.of("/bin/sh", "-c", command).timeout(timeout).run();
        } catch (IOException e) {
            throw new TierFailedException(name(), "cannot run the passphrase command: " + e.getMessage()
                    + "; fix terok.vault.passphrase-command");
        }
        if (r.timedOut()) {
            throw new TierFailedException(name(), "the passphrase command did not finish within " + timeout.toSeconds() + " s");
        }
        if (r.exitCode() != 0) {
            // Its stderr is not repeated: a helper may print things about the secret there.
            throw new TierFailedException(name(), "the passphrase command exited with " + r.exitCode()
                    + "; fix terok.vault.passphrase-command or unset it");
        }
        String text = r.stdout().replaceAll("[\r\n]+$", "");
        if (text.isEmpty()) {
            throw new TierFailedException(name(), "the passphrase command printed nothing");
        }
        return Optional.of(text);
    }
}
