package io.terok.vault.passphrase;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One run of a tier's helper program (keyctl, systemd-creds): the secret goes through stdin and stdout only, never
 * the command line; a tool that hangs or is missing is a {@link TierFailedException} of that tier.
 */
record ToolRun(int code, byte[] out, String err) {

    /** {@code stdin} null: /dev/null. {@code missingHint}: what to do when the program cannot be started. */
    static ToolRun run(String tier, String program, Duration timeout, byte[] stdin, String missingHint, String... args)
            throws TierFailedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(program);
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            if (stdin == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            Process p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin);
                }
            }
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new TierFailedException(tier, program + " " + args[0] + " did not finish within "
                        + timeout.toSeconds() + " s");
            }
            return new ToolRun(p.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new TierFailedException(tier, "cannot run " + program + ": " + e.getMessage() + missingHint);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TierFailedException(tier, "interrupted");
        }
    }

    private static byte[] read(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
