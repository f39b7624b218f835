package io.terok.vault.passphrase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.testsupport.Cmd;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel-keyring tier's key is possessor-only, played with the real keyctl: a process of the same uid that does
 * not possess the key (a fresh session keyring, as podman gives every container; and in a new user namespace as
 * well, as a rootless keep-id task runs) can neither read it nor see it in /proc/keys, while the vault reads it
 * back; a key an older version stored with wider permissions is tightened on read and replaced on store.
 */
class KernelKeyringPossessionTest {
    private static final String SECRET = "possessor-only passphrase";

    @TempDir
    Path dir;

    @Test
    void aSameUidProcessThatDoesNotPossessTheKeyCannotReadOrSeeIt() throws Exception {
        Cmd.require(List.of("keyctl", "unshare"));
        KernelKeyringTier k = new KernelKeyringTier(dir.resolve("credentials.db"), "keyctl");
        try {
            k.store(SECRET);
            String id = Cmd.ok("keyctl", "search", "@u", "user", k.description()).trim();

            Cmd.Output fresh = Cmd.exec(List.of("keyctl", "session", "-", "keyctl", "print", id), null, e -> { }, null, 20);
            assertNotEquals(0, fresh.code(), "a fresh session keyring must not read the key: " + fresh.out());
            assertFalse(fresh.out().contains(SECRET));
            assertTrue(fresh.err().contains("Permission denied"), fresh.err());

            Cmd.Output userns = Cmd.exec(List.of("unshare", "--user", "--map-root-user", "keyctl", "session", "-", "keyctl", "print", id),
                    null, e -> { }, null, 20);
            assertNotEquals(0, userns.code(), "a new user namespace with a fresh session must not read the key: " + userns.out());
            assertFalse(userns.out().contains(SECRET));

            Cmd.Output procKeys = Cmd.exec(List.of("unshare", "--user", "--map-root-user", "keyctl", "session", "-", "cat", "/proc/keys"),
                    null, e -> { }, null, 20);
            assertEquals(0, procKeys.code(), procKeys.err());
            assertFalse(procKeys.out().contains(k.description()), "the key is not even listed to a non-possessor");

            assertEquals(Optional.of(SECRET), k.resolve(), "the vault reads its own key back");
            assertEquals("3f000000", Cmd.ok("keyctl", "rdescribe", id).split(";")[3],
                    "possessor: view, read, write, search, link, setattr; user, group, other: nothing");
        } finally {
            k.forget();
        }
        assertEquals(Optional.empty(), k.resolve());
    }

    @Test
    void aKeyStoredWithWiderPermissionsIsReplacedAndTightened() throws Exception {
        Cmd.require(List.of("keyctl"));
        KernelKeyringTier k = new KernelKeyringTier(dir.resolve("credentials.db"), "keyctl");
        try {
            String old = Cmd.exec(List.of("keyctl", "padd", "user", k.description(), "@u"), null, e -> { }, "older", 20).out().trim();
            Cmd.ok("keyctl", "setperm", old, "0x3f2f0000");
            assertEquals(Optional.of("older"), k.resolve());
            assertEquals("3f000000", Cmd.ok("keyctl", "rdescribe", old).split(";")[3], "reading an older key tightens it");
            Cmd.ok("keyctl", "setperm", old, "0x3f2f0000");
            k.store(SECRET);
            String id = Cmd.ok("keyctl", "search", "@u", "user", k.description()).trim();
            assertEquals("3f000000", Cmd.ok("keyctl", "rdescribe", id).split(";")[3]);
            assertEquals(Optional.of(SECRET), k.resolve());
        } finally {
            k.forget();
        }
    }

    @Test
    void aVaultWhoseSessionKeyringDoesNotLinkTheUserKeyringStillStoresAndReadsItsKey() throws Exception {
        Cmd.require(List.of("keyctl", "sh"));
        KernelKeyringTier k = new KernelKeyringTier(dir.resolve("credentials.db"), "keyctl");
        try {
            // A long-lived session keyring that does not link @u, as a vault in a container (podman gives it a session
            // keyring of its own) or a systemd service with KeyringMode=private has; every keyctl the tier runs joins it.
            KernelKeyringTier first = new KernelKeyringTier(dir.resolve("credentials.db"), privateSession("first"));
            first.store(SECRET);
            assertEquals(Optional.of(SECRET), first.resolve());
            assertEquals(Optional.of(SECRET), new KernelKeyringTier(dir.resolve("credentials.db"), privateSession("restarted")).resolve(),
                    "a restarted vault with a new session keyring reads the cached passphrase");
            assertEquals(Optional.of(SECRET), k.resolve());
        } finally {
            k.forget();
            holders.forEach(Cmd::stop);
        }
    }

    private final List<Process> holders = new java.util.ArrayList<>();

    /** A keyctl wrapper that runs every keyctl in a named session keyring kept alive by a process of its own. */
    private String privateSession(String name) throws Exception {
        String keyctl = KernelKeyringTier.which("keyctl");
        String ring = "terok-test-" + name + "-" + java.util.UUID.randomUUID();
        // user search on the session keyring lets the wrapper's keyctl join it by name
        holders.add(Cmd.spawn(keyctl, "session", ring, "sh", "-c", keyctl + " setperm @s 0x3f080000 && exec sleep 120"));
        Cmd.await(() -> Cmd.run(keyctl, "session", ring, keyctl, "rdescribe", "@s").out().contains(";3f080000;" + ring),
                "the session keyring " + ring);
        java.nio.file.Path wrapper = dir.resolve("keyctl-" + name);
        java.nio.file.Files.writeString(wrapper, "#!/bin/sh\nexec " + keyctl + " session " + ring + " " + keyctl + " \"$@\"\n");
        java.nio.file.Files.setPosixFilePermissions(wrapper, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertFalse(Cmd.run(wrapper.toString(), "show", "@s").out().contains("_uid."), "the session keyring does not link @u");
        return wrapper.toString();
    }
}
