package io.terok.vault.passphrase;

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
        ToolRun r = run(null, "pipe", id.get());
        if (r.code() != 0) {
            throw new TierFailedException(name(), "keyctl pipe failed: " + r.err().trim());
        }
        String p = new String(r.out(), StandardCharsets.UTF_8);
        return p.isEmpty() ? Optional.empty() : Optional.of(p);
    }

    private Optional<String> find() throws TierFailedException {
        ToolRun r = run(null, "search", "@u", "user", description);
        if (r.code() == 0) {
            return Optional.of(new String(r.out(), StandardCharsets.UTF_8).trim());
        }
        if (r.err().contains("not available") || r.err().contains("No such")) {
            return Optional.empty();
        }
        throw new TierFailedException(name(), "keyctl search failed: " + r.err().trim());
    }

    @Override
    public boolean canStore() {
        return available();
    }

    @Override
    public void store(String passphrase) {
        try {
            ToolRun r = run(passphrase.getBytes(StandardCharsets.UTF_8), "padd", "user", description, "@u");
            if (r.code() != 0) {
                throw new IllegalStateException("keyctl padd failed: " + r.err().trim());
            }
            String id = new String(r.out(), StandardCharsets.UTF_8).trim();
            ToolRun perm = run(null, "setperm", id, "0x3f2f0000");
            if (perm.code() != 0) {
                run(null, "unlink", id, "@u");
                throw new IllegalStateException("keyctl setperm failed: " + perm.err().trim());
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

    private ToolRun run(byte[] stdin, String... args) throws TierFailedException {
        return ToolRun.run(name(), keyctl, Duration.ofSeconds(10), stdin, "", args);
    }

    static String which(String program) {
        if (program.contains("/")) {
            return Files.isExecutable(Path.of(program)) ? program : null;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
        for (String dir : (path + ":/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return Path.of(dir, program).toString();
            }
        }
        return null;
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
