package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ServiceException;
import io.terok.testsupport.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vault's SQLCipher database on a real small filesystem (a 16 MB loop-mounted ext4) that fills up: a write fails
 * with one line naming the database, the full filesystem and the fix; nothing is half-written (everything stored
 * before reads back, also after a restart of the vault on the still full disk); once space is freed the same writes
 * land.
 */
class FullDiskTest {
    static final String PASSPHRASE = "full-disk-passphrase";
    @TempDir
    Path tmp;

    @Test
    void aFullDiskFailsTheWriteWithOneLineAndKeepsEverythingStoredBefore() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("vault"));
        Path db = dir.resolve("credentials.db");
        try (SmallDisk disk = SmallDisk.over(dir, tmp.resolve("vault.img"), 16)) {
            Map<String, String> stored = new java.util.LinkedHashMap<>();
            List<String> tokens = new ArrayList<>();
            try (Vault vault = TestVaults.of(db)) {
                vault.unlock(PASSPHRASE);
                vault.putCredential("default", "anthropic", "api_key", "sk-ant-before-full", null, null);
                stored.put("default", "sk-ant-before-full");
                tokens.add(vault.mint("0123456789abcdef0123456789abcdef", "proj", List.of("anthropic"), "default", 0).get(0).token());

                disk.fill(0);
                // A write may still fit into the pages SQLite's write-ahead log already holds: write bigger
                // credentials until one needs a block the filesystem no longer has.
                ServiceException full = null;
                String secret = "k".repeat(64 << 10);
                for (int i = 0; i < 400 && full == null; i++) {
                    String set = "filler-" + i;
                    try {
                        vault.putCredential(set, "anthropic", "api_key", secret + i, null, null);
                        stored.put(set, secret + i);
                    } catch (ServiceException e) {
                        full = e;
                    }
                }
                assertTrue(full != null, "a 16 MB filesystem filled up holds no 25 MB of credentials");
                assertFullDiskLine(full, db);

                // A mint is a small row: it may still land in write-ahead-log frames SQLite can reuse, so mint for
                // new tasks until one needs space the filesystem no longer has (each that landed must stay).
                ServiceException mint = null;
                String failedTask = null;
                for (int i = 0; i < 400 && mint == null; i++) {
                    String task = String.format("%032x", 0xabc000L + i);
                    try {
                        tokens.add(vault.mint(task, "proj", List.of("anthropic"), "default", 0).get(0).token());
                    } catch (ServiceException e) {
                        mint = e;
                        failedTask = task;
                    }
                }
                assertTrue(mint != null, "a full filesystem takes no 400 more mints");
                assertFullDiskLine(mint, db);
                assertEquals(List.of(), vault.listTokens(failedTask), "no token of the failed mint");
            }

            try (Vault again = TestVaults.of(db)) {
                again.unlock(PASSPHRASE);
                assertEverything(again, stored, tokens);
            }

            disk.free();
            try (Vault vault = TestVaults.of(db)) {
                vault.unlock(PASSPHRASE);
                assertEverything(vault, stored, tokens);
                vault.putCredential("after", "anthropic", "api_key", "k".repeat(64 << 10), null, null);
                stored.put("after", "k".repeat(64 << 10));
                vault.mint("fedcba9876543210fedcba9876543210", "proj", List.of("anthropic"), "default", 0);
                assertEquals(1, vault.listTokens("fedcba9876543210fedcba9876543210").size());
            }
            try (Vault vault = TestVaults.of(db)) {
                vault.unlock(PASSPHRASE);
                assertEverything(vault, stored, tokens);
            }
        }
    }

    static void assertFullDiskLine(ServiceException e, Path db) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.contains(db.toString()), "names the database: " + m);
        assertTrue(m.contains("full"), "says the filesystem is full: " + m);
        assertTrue(m.contains("nothing was written"), "says nothing of the call was written: " + m);
        assertTrue(m.contains("Free space on that filesystem"), "says what to do: " + m);
    }

    static void assertEverything(Vault vault, Map<String, String> stored, List<String> tokens) {
        List<String> wrong = new ArrayList<>();
        stored.forEach((set, secret) -> {
            Optional<Vault.Credential> c = vault.credential(set, "anthropic");
            if (c.isEmpty() || !c.get().secret().equals(secret)) {
                wrong.add(set);
            }
        });
        assertEquals(List.of(), wrong, "every credential stored before reads back (" + stored.size() + ")");
        assertEquals(List.of(), tokens.stream().filter(t -> vault.lookup(t).isEmpty()).toList(),
                "every phantom token minted before still resolves (" + tokens.size() + ")");
    }
}
