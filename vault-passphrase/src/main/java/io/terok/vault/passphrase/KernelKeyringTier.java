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
 * described {@code terok:vault-passphrase:<sha256(host, database path)[:32]>}.
 *
 * <p>The key is possessor-only ({@value #PERM}: the possessor may view, read, write, search, link and set its
 * attributes; its owner uid, group and everyone else nothing). A process of the operator's uid that does not possess
 * it (one whose session keyring does not reach {@code @u}: a podman container gets a session keyring of its own, a
 * rootless task also has a user keyring of its own user namespace) can neither read it nor see it in /proc/keys.
 * The vault possesses it through {@code @u} linked into its session keyring (a login session's keyring links it);
 * when the vault's session keyring does not (a container, a private systemd service) the tier links {@code @u}
 * into it once, which is what systemd's {@code KeyringMode=shared} does.
 *
 * <p>There is no moment at which a non-possessor can read the payload: {@code add_key} creates a user key with the
 * kernel's default permissions, possessor everything and the owner uid {@code view} only (0x3f010000), and setperm
 * then removes that {@code view} (which shows the description and id, never the payload). {@code add_key} updates
 * a key of the same description in place and keeps its permissions, so {@link #store} first unlinks any earlier
 * key (an older terok set 0x3f2f0000, owner-readable) and always creates a new one; {@link #resolve} tightens an
 * earlier key before reading it. No keyctl or no kernel keyring support: the tier holds nothing (it is a cache,
 * not a configured source); a keyctl that fails in any other way is an error, and a key whose permissions cannot be
 * set is removed again (fail closed).
 */
public final class KernelKeyringTier implements PassphraseTier {
    private static final String PREFIX = "terok:vault-passphrase:";
    /** Possessor: view, read, write, search, link, setattr (0x3f); user, group, other: nothing. */
    static final String PERM = "0x3f000000";
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
        HostProcess.Result perm = possessed("setperm", id.get(), PERM);
        if (perm.exitCode() != 0) {
            throw new TierFailedException(name(), "keyctl setperm failed: " + perm.stderr().trim());
        }
        HostProcess.Result r = possessed("pipe", id.get());
        if (r.exitCode() != 0) {
            throw new TierFailedException(name(), "keyctl pipe failed: " + r.stderr().trim());
        }
        String p = new String(r.stdoutBytes(), StandardCharsets.UTF_8);
        return p.isEmpty() ? Optional.empty() : Optional.of(p);
    }

    /**
     * Runs a keyctl operation on a key by id, which needs the key's possessor permissions; refused for want of
     * possession (the session keyring does not reach {@code @u}), links {@code @u} into the session keyring and
     * tries once more.
     */
    private HostProcess.Result possessed(String... args) throws TierFailedException {
        HostProcess.Result r = run(null, args);
        if (r.exitCode() == 0 || !r.stderr().contains("Permission denied")) {
            return r;
        }
        HostProcess.Result link = run(null, "link", "@u", "@s");
        if (link.exitCode() != 0) {
            throw new TierFailedException(name(), "keyctl link @u @s failed: " + link.stderr().trim());
        }
        return run(null, args);
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
        forget();
        try {
            HostProcess.Result r = run(passphrase.getBytes(StandardCharsets.UTF_8), "padd", "user", description, "@u");
            if (r.exitCode() != 0) {
                throw new IllegalStateException("keyctl padd failed: " + r.stderr().trim());
            }
            String id = new String(r.stdoutBytes(), StandardCharsets.UTF_8).trim();
            HostProcess.Result perm = possessed("setperm", id, PERM);
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
