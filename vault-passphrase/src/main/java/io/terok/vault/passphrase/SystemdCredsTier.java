package io.terok.vault.passphrase;

import io.terok.common.HostProcess;
import io.terok.common.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The passphrase as a systemd credential. Two sources, in this order:
 * <ol>
 * <li>{@code $CREDENTIALS_DIRECTORY/<name>}: the service runs under a unit with
 * {@code LoadCredentialEncrypted=<name>:<file>}, so systemd has already decrypted it into a private, non-swappable
 * directory. Present: it is the passphrase. Absent: the tier holds nothing, unless a file is configured.</li>
 * <li>{@code terok.vault.systemd-creds-file}: an encrypted credential ({@code systemd-creds encrypt --name=<name>})
 * that the service decrypts itself with the real {@code systemd-creds decrypt} (the host key in
 * {@code /var/lib/systemd/credential.secret} and/or the TPM2: root only on systemd 252). When configured it must
 * deliver: a missing file, a decrypt error or an empty credential is an error (fail closed).</li>
 * </ol>
 */
public final class SystemdCredsTier implements PassphraseTier {
    public static final String DEFAULT_NAME = "terok-vault-passphrase";
    private final String credential;
    private final Optional<Path> file;
    private final String binary;
    private final Map<String, String> env;

    public SystemdCredsTier(String credential, Optional<Path> file, String binary, Map<String, String> env) {
        this.credential = credential;
        this.file = file;
        this.binary = binary;
        this.env = env;
    }

    @Override
    public String name() {
        return "systemd-creds";
    }

    public Optional<Path> file() {
        return file;
    }

    public String credential() {
        return credential;
    }

    @Override
    public Optional<String> resolve() throws TierFailedException {
        String dir = env.get("CREDENTIALS_DIRECTORY");
        if (dir != null && !dir.isBlank()) {
            Path loaded = Path.of(dir, credential);
            if (Files.exists(loaded)) {
                try {
                    return Optional.of(nonEmpty(Files.readString(loaded, StandardCharsets.UTF_8), loaded.toString()));
                } catch (IOException e) {
                    throw new TierFailedException(name(), "cannot read " + loaded + ": " + e.getMessage()
                            + "; check the unit's LoadCredentialEncrypted=" + credential + ":...");
                }
            }
        }
        if (file.isEmpty()) {
            return Optional.empty();
        }
        Path f = file.get();
        if (!Files.isRegularFile(f)) {
            throw new TierFailedException(name(), "the encrypted credential " + f + " does not exist; restore it, or unset"
                    + " terok.vault.systemd-creds-file and unlock with `terok vault unlock --prompt`");
        }
        HostProcess.Result r = run(null, "decrypt", "--name=" + credential, f.toString(), "-");
        if (r.exitCode() != 0) {
            throw new TierFailedException(name(), "systemd-creds decrypt " + f + " failed: " + lastLine(r.stderr())
                    + "; it must be decrypted on the host that encrypted it, as a user that can read the host key"
                    + " (root), or load it through the unit's LoadCredentialEncrypted=" + credential + ":" + f);
        }
        return Optional.of(nonEmpty(new String(r.stdoutBytes(), StandardCharsets.UTF_8), f.toString()));
    }

    private String nonEmpty(String text, String where) throws TierFailedException {
        if (text.isEmpty()) {
            throw new TierFailedException(name(), "the credential " + where + " is empty; run `terok setup` again after"
                    + " removing it, or store the passphrase with systemd-creds encrypt --name=" + credential);
        }
        return text;
    }

    /** Whether this host can encrypt and decrypt a credential for the current user (a round trip of a probe). */
    public boolean usable() {
        if (KernelKeyringTier.which(binary) == null) {
            return false;
        }
        try {
            Path probe = Files.createTempFile("terok-creds-probe", ".cred");
            try {
                HostProcess.Result enc = run("probe".getBytes(StandardCharsets.UTF_8), "encrypt", "--name=" + credential, "-", probe.toString());
                if (enc.exitCode() != 0) {
                    return false;
                }
                HostProcess.Result dec = run(null, "decrypt", "--name=" + credential, probe.toString(), "-");
                return dec.exitCode() == 0 && "probe".equals(new String(dec.stdoutBytes(), StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(probe);
            }
        } catch (IOException | TierFailedException e) {
            return false;
        }
    }

    @Override
    public boolean writable() {
        return file.isPresent();
    }

    /** Encrypts the passphrase into the configured file (0600), replacing it atomically. */
    @Override
    public void save(String passphrase) throws TierFailedException {
        Path f = file.orElseThrow(() -> new TierFailedException(name(), "no terok.vault.systemd-creds-file to write"));
        try {
            Path dir = f.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                PrivateFiles.directory(dir);
            }
            HostProcess.Result r = run(passphrase.getBytes(StandardCharsets.UTF_8), "encrypt", "--name=" + credential, "-", "-");
            if (r.exitCode() != 0) {
                throw new TierFailedException(name(), "systemd-creds encrypt failed: " + lastLine(r.stderr()));
            }
            PrivateFiles.write(f, r.stdoutBytes());
        } catch (UncheckedIOException e) {
            throw new TierFailedException(name(), "cannot write " + f + ": " + e.getMessage());
        }
    }

    private static String lastLine(String err) {
        String[] lines = err.strip().split("\n");
        return lines.length == 0 || lines[lines.length - 1].isBlank() ? "(no message)" : lines[lines.length - 1].strip();
    }

    private HostProcess.Result run(byte[] stdin, String... args) throws TierFailedException {
        return TierProcess.run(name(), binary, Duration.ofSeconds(30), stdin, " (install systemd, or unset terok.vault.systemd-creds-file)", args);
    }
}
