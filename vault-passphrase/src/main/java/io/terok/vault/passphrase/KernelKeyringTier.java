package io.terok.vault.passphrase;

import io.terok.common.HostProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The kernel's user keyring ({@code @u}) through keyutils' {@code keyctl}: a volatile cache that keeps the vault
 * unlockable across service restarts until reboot or {@code terok vault lock}. The key is a {@code user} key
 * described {@code terok:vault-passphrase:<sha256(host, database path)[:32]>}, readable by its owner uid only
 * (perm 0x3f2f0000). No keyctl or no kernel keyring support: the tier holds nothing (it is a cache, not a
 * configured source); a keyctl that fails in any other way is an error.
 */
public final class KernelKeyringTier implements PassphraseTier {
    private static final String PREFIX = "terok:vault-passphrase:";
    private final String description;
    private final String keyctl;

    public KernelKeyringTier(Path database, String keyctl) {
        this.description = PREFIX + digest(hostname() + "\0" + database.toAbsolutePath().normalize());
        this.keyctl = keyctl;
    }

    public String description() {
        return description;
    }

    @Override
    public String name() {
        return "kernel-keyring";
    }

    public boolean available() {
        return which(keyctl) != null;
    }

    @Override
    public Optional<String> resolve() throws TierFailedException {
        if (!available()) {
            return Optional.empty();
        }
        Optional<String> id = find();
        if (id.isEmpty()) {
            return Optional.empty();
        }
        HostProcess.Result r = run(null, "pipe", id.get());
        if (r.exitCode() != 0) {
            throw new TierFailedException(name(), "keyctl pipe failed: " + r.stderr().trim());
        }
        String p = new String(r.stdoutBytes(), StandardCharsets.UTF_8);
        return p.isEmpty() ? Optional.empty() : Optional.of(p);
    }

    private Optional<String> find() throws TierFailedException {
        HostProcess.Result r = run(null, "search", "@u", "user", description);
        if (r.exitCode() == 0) {
            return Optional.of(new String(r.stdoutBytes(), StandardCharsets.UTF_8).trim());
        }
        if (r.stderr().contains("not available") || r.stderr().contains("No such")) {
            return Optional.empty();
        }
        throw new TierFailedException(name(), "keyctl search failed: " + r.stderr().trim());
    }

    @Override
    public boolean canStore() {
        return available();
    }

    @Override
    public void store(String passphrase) {
        try {
            HostProcess.Result r = run(passphrase.getBytes(StandardCharsets.UTF_8), "padd", "user", description, "@u");
            if (r.exitCode() != 0) {
                throw new IllegalStateException("keyctl padd failed: " + r.stderr().trim());
            }
            String id = new String(r.stdoutBytes(), StandardCharsets.UTF_8).trim();
            HostProcess.Result perm = run(null, "setperm", id, "0x3f2f0000");
            if (perm.exitCode() != 0) {
                run(null, "unlink", id, "@u");
                throw new IllegalStateException("keyctl setperm failed: " + perm.stderr().trim());
            }
        } catch (TierFailedException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void forget() {
        if (!available()) {
            return;
        }
        try {
            for (int i = 0; i < 8; i++) {
                Optional<String> id = find();
                if (id.isEmpty()) {
                    return;
                }
                run(null, "unlink", id.get(), "@u");
            }
        } catch (TierFailedException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private HostProcess.Result run(byte[] stdin, String... args) throws TierFailedException {
        return TierProcess.run(name(), keyctl, Duration.ofSeconds(10), stdin, "", args);
    }

    /** {@code program} on PATH, falling back to /usr/bin and /bin (a service's PATH can be minimal), or null. */
    static String which(String program) {
        Path found = HostProcess.which(program, System.getenv().getOrDefault("PATH", "/usr/bin:/bin:/usr/sbin:/sbin") + ":/usr/bin:/bin");
        return found == null ? null : found.toString();
    }

    private static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static String digest(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
