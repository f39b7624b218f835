package io.terok.vault.passphrase;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

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
        Process p;
        try {
            p = new ProcessBuilder("/bin/sh", "-c", command)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new TierFailedException(name(), "cannot run the passphrase command: " + e.getMessage()
                    + "; fix terok.vault.passphrase-command");
        }
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new TierFailedException(name(), "the passphrase command did not finish within "
                        + timeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new TierFailedException(name(), "interrupted");
        }
        String text = new String(out.join(), StandardCharsets.UTF_8);
        err.join();
        if (p.exitValue() != 0) {
            // Its stderr is not repeated: a helper may print things about the secret there.
            throw new TierFailedException(name(), "the passphrase command exited with " + p.exitValue()
                    + "; fix terok.vault.passphrase-command or unset it");
        }
        text = text.replaceAll("[\r\n]+$", "");
        if (text.isEmpty()) {
            throw new TierFailedException(name(), "the passphrase command printed nothing");
        }
        return Optional.of(text);
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
