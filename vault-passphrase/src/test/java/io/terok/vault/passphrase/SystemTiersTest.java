package io.terok.vault.passphrase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd-creds tier against the real {@code systemd-creds} (host key; root, as in CI) and the Secret Service tier
 * against a real gnome-keyring-daemon on a private dbus-daemon: each provides the key, and a broken configured one
 * fails closed, naming the tier and the fix, even when a later tier holds a passphrase.
 */
class SystemTiersTest {
    @TempDir
    Path dir;

    private Path encrypt(String secret, String name) throws Exception {
        return encrypt(dir, secret, name);
    }

    /** A systemd credential file holding {@code secret}, encrypted with the host key under {@code name}. */
    static Path encrypt(Path dir, String secret, String name) throws Exception {
        KeyringSession.require("systemd-creds");
        Path cred = dir.resolve(name + ".cred");
        Process p = new ProcessBuilder("systemd-creds", "encrypt", "--name=" + name, "-", cred.toString()).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(secret.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "systemd-creds encrypt (root, host key): " + out);
        assertTrue(secret.length() < 8 || !Files.readString(cred, StandardCharsets.ISO_8859_1).contains(secret), "encrypted at rest");
        return cred;
    }

    @Test
    void systemdCredsDecryptsAConfiguredCredentialFile() throws Exception {
        Path cred = encrypt("creds passphrase", "terok-vault-passphrase");
        SystemdCredsTier t = new SystemdCredsTier("terok-vault-passphrase", Optional.of(cred), "systemd-creds", Map.of());
        assertEquals(Optional.of("creds passphrase"), t.resolve());
        assertTrue(t.usable(), "root can encrypt and decrypt with the host key");
    }

    @Test
    void systemdCredsReadsTheCredentialSystemdLoadedForTheUnit() throws Exception {
        // What LoadCredentialEncrypted=terok-vault-passphrase:FILE leaves the service: the decrypted credential.
        Path credsDir = Files.createDirectories(dir.resolve("creds"));
        Files.writeString(credsDir.resolve("terok-vault-passphrase"), "loaded by systemd");
        Map<String, String> env = Map.of("CREDENTIALS_DIRECTORY", credsDir.toString());
        assertEquals(Optional.of("loaded by systemd"),
                new SystemdCredsTier("terok-vault-passphrase", Optional.empty(), "systemd-creds", env).resolve());
        // Not there and no file configured: the tier holds nothing, the chain goes on.
        assertEquals(Optional.empty(), new SystemdCredsTier("other", Optional.empty(), "systemd-creds", env).resolve());
        assertEquals(Optional.empty(), new SystemdCredsTier("terok-vault-passphrase", Optional.empty(), "systemd-creds", Map.of()).resolve());
    }

    @Test
    void aBrokenConfiguredSystemdCredentialFailsClosed() throws Exception {
        PassphraseTier later = new EnvTier("PW", Map.of("PW", "would-be-used"));
        // Missing file.
        TierFailedException missing = assertThrows(TierFailedException.class, () -> new PassphraseChain(List.of(
                new SystemdCredsTier("terok-vault-passphrase", Optional.of(dir.resolve("gone.cred")), "systemd-creds", Map.of()), later)).resolve());
        assertEquals("systemd-creds", missing.tier());
        assertTrue(missing.getMessage().contains("does not exist") && missing.getMessage().contains("terok.vault.systemd-creds-file"), missing.getMessage());
        // Encrypted under another name (or tampered): systemd-creds refuses, so do we.
        Path other = encrypt("x", "someone-else");
        TierFailedException wrongName = assertThrows(TierFailedException.class, () -> new SystemdCredsTier("terok-vault-passphrase",
                Optional.of(other), "systemd-creds", Map.of()).resolve());
        assertTrue(wrongName.getMessage().contains("decrypt") && wrongName.getMessage().contains("does not match"), wrongName.getMessage());
        Path corrupt = dir.resolve("corrupt.cred");
        Files.writeString(corrupt, "not a credential");
        assertThrows(TierFailedException.class, () -> new SystemdCredsTier("terok-vault-passphrase", Optional.of(corrupt), "systemd-creds", Map.of()).resolve());
        // The binary is missing.
        Path good = encrypt("y", "terok-vault-passphrase");
        TierFailedException noBinary = assertThrows(TierFailedException.class, () -> new SystemdCredsTier("terok-vault-passphrase",
                Optional.of(good), "/nonexistent/systemd-creds", Map.of()).resolve());
        assertTrue(noBinary.getMessage().contains("cannot run"), noBinary.getMessage());
    }

    @Test
    void systemdCredsSaveWritesAFileOnlyItsHostCanRead() throws Exception {
        Path file = dir.resolve("sub/passphrase.cred");
        SystemdCredsTier t = new SystemdCredsTier("terok-vault-passphrase", Optional.of(file), "systemd-creds", Map.of());
        t.save("saved one");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(Optional.of("saved one"), t.resolve());
        t.save("saved two");
        assertEquals(Optional.of("saved two"), t.resolve());
    }

    @Test
    void theSecretServiceProvidesThePassphraseFromARealKeyring() throws Exception {
        try (KeyringSession k = new KeyringSession()) {
            SecretServiceTier t = new SecretServiceTier(Optional.of(k.busAddress), true);
            // Nothing stored yet: configured → error naming the fix; not configured → the chain goes on.
            TierFailedException absent = assertThrows(TierFailedException.class, t::resolve);
            assertTrue(absent.getMessage().contains("secret-tool store") && absent.getMessage().contains("terok setup"), absent.getMessage());
            assertEquals(Optional.empty(), new SecretServiceTier(Optional.of(k.busAddress), false).resolve());

            k.store("keyring passphrase", "application", "terok", "purpose", "vault-passphrase");
            assertEquals(Optional.of("keyring passphrase"), t.resolve());
            assertEquals(Optional.of("keyring passphrase"), new SecretServiceTier(Optional.of(k.busAddress), false).resolve());

            // save() replaces the item (passphrase change); secret-tool sees what the vault wrote.
            assertTrue(t.usable());
            t.save("replaced passphrase");
            assertEquals(Optional.of("replaced passphrase"), t.resolve());
            assertEquals("replaced passphrase", k.lookup("application", "terok", "purpose", "vault-passphrase"));
        }
    }

    @Test
    void theItemIsFoundWithoutReadingItAndDeletedOnlyFromAnUnlockedKeyring() throws Exception {
        // What `terok setup --user`, `doctor --user` and `uninstall --user --purge` use for the containerised vault.
        try (KeyringSession k = new KeyringSession()) {
            SecretServiceTier t = new SecretServiceTier(Optional.of(k.busAddress), false);
            assertEquals(Optional.of(false), t.hasItem());
            assertEquals(0, t.delete());
            k.store("keyring passphrase", "application", "terok", "purpose", "vault-passphrase");
            k.store("other secret", "application", "other");
            assertEquals(Optional.of(true), t.hasItem());
            k.lockLogin();
            assertEquals(Optional.of(true), t.hasItem(), "a locked item exists too");
            TierFailedException locked = assertThrows(TierFailedException.class, t::delete);
            assertTrue(locked.getMessage().contains("locked"), locked.getMessage());
        }
        try (KeyringSession k = new KeyringSession()) {
            SecretServiceTier t = new SecretServiceTier(Optional.of(k.busAddress), false);
            k.store("keyring passphrase", "application", "terok", "purpose", "vault-passphrase");
            k.store("other secret", "application", "other");
            assertEquals(1, t.delete());
            assertEquals(Optional.of(false), t.hasItem());
            assertEquals("", k.lookup("application", "terok", "purpose", "vault-passphrase"));
            assertEquals("other secret", k.lookup("application", "other"), "only terok's item is deleted");
        }
        String dead = "unix:path=" + dir.resolve("no-bus");
        assertEquals(Optional.empty(), new SecretServiceTier(Optional.of(dead), false).hasItem(), "no Secret Service: unknown");
    }

    @Test
    void aLockedKeyringFailsClosedEvenWhenALaterTierHasAPassphrase() throws Exception {
        try (KeyringSession k = new KeyringSession()) {
            k.store("keyring passphrase", "application", "terok", "purpose", "vault-passphrase");
            k.lockLogin();
            for (boolean configured : new boolean[] {true, false}) {
                PassphraseChain chain = new PassphraseChain(List.of(new SecretServiceTier(Optional.of(k.busAddress), configured),
                        new CommandTier("printf later", Duration.ofSeconds(5))));
                TierFailedException e = assertThrows(TierFailedException.class, chain::resolve);
                assertEquals("secret-service", e.tier());
                assertTrue(e.getMessage().contains("locked") && e.getMessage().contains("terok vault unlock"), e.getMessage());
            }
            assertFalse(new SecretServiceTier(Optional.of(k.busAddress), true).usable(), "a locked keyring is no place to provision");
        }
    }

    @Test
    void noBusOrNoSecretServiceFailsClosedOnlyWhenConfigured() throws Exception {
        String dead = "unix:path=" + dir.resolve("no-bus");
        long start = System.nanoTime();
        TierFailedException noBus = assertThrows(TierFailedException.class, () -> new SecretServiceTier(Optional.of(dead), true).resolve());
        assertTrue(noBus.getMessage().contains("cannot connect") && noBus.getMessage().contains(dead), noBus.getMessage());
        // Said at once, not after dbus-java's 10 s of retrying a socket that is not there (every vault start paid it).
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "a missing bus took " + (System.nanoTime() - start) / 1_000_000 + " ms");
        TierFailedException unset = assertThrows(TierFailedException.class, () -> new SecretServiceTier(Optional.empty(), true).resolve());
        assertTrue(unset.getMessage().contains("DBUS_SESSION_BUS_ADDRESS"), unset.getMessage());
        assertEquals(Optional.empty(), new SecretServiceTier(Optional.of(dead), false).resolve());
        assertEquals(Optional.empty(), new SecretServiceTier(Optional.empty(), false).resolve());
    }
}
