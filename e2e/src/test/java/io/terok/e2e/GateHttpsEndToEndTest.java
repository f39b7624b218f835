package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.testsupport.TestGitHttps;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A private https upstream through the CLI of a private installation (`terok services up`): a real `git http-backend`
 * behind HTTPS on loopback (certificate from the test's CA, trusted through terok.gate.upstream-ca-file) that wants the
 * token of a provider whose git host it is (terok.vault.providers.NAME.git-hosts). The token is stored once with
 * `terok vault add`; the gate syncs and forwards with it through the vault's GetGitCredential, audited as
 * `gate:<project>`; the token is nowhere under the gate's data directory; without it, the error names the project,
 * the host and `terok vault add`, and the project is not created; a second host, which no provider lists, never
 * receives the token.
 */
class GateHttpsEndToEndTest {
    static final String TOKEN = "forge_e2eSecretToken42";
    static Terok terok;
    static TestGitHttps forge;
    static TestGitHttps stranger;

    @BeforeAll
    static void up() throws Exception {
        terok = new Terok(Terok.freshHome("gate-https", null), null);
        forge = TestGitHttps.start(terok.home.resolve("forge"), "terok", TOKEN);
        // Same CA (same directory), another port: no provider lists it, so the vault must not hand the token out for it.
        stranger = TestGitHttps.start(terok.home.resolve("forge"), "terok", TOKEN);
        Files.createDirectories(terok.home.resolve("config"));
        Files.writeString(terok.home.resolve("config/config.yaml"), String.join("\n",
                "terok:",
                "  gate:",
                "    upstream-ca-file: " + forge.caFile(),
                "  vault:",
                "    kernel-keyring: false",
                "    passphrase-command: printf %s e2e-gate-https-passphrase",
                "    providers:",
                "      forge:",
                "        upstream: https://127.0.0.1:" + forge.port(),
                "        git-hosts: 127.0.0.1:" + forge.port(),
                "        git-user: terok",
                ""));
        terok.run("services", "up").ok();
    }

    @AfterAll
    static void down() {
        if (forge != null) {
            forge.close();
        }
        if (stranger != null) {
            stranger.close();
        }
        if (terok != null) {
            terok.discard();
        }
    }

    @Test
    void syncAndForwardAPrivateHttpsUpstreamWithTheVaultsToken() throws Exception {
        Path up = forge.repository("private");

        // Without the token: a clear error, nothing created.
        terok.run("vault", "rm", "forge");
        Terok.Result refused = terok.run("gate", "create", "e2e-https", forge.url("private"));
        assertNotEquals(0, refused.exitCode());
        assertTrue(refused.err().contains("project e2e-https") && refused.err().contains("127.0.0.1:" + forge.port())
                && refused.err().contains("terok vault add forge"), refused.err());
        assertFalse(terok.run("gate", "list").ok().out().contains("e2e-https"), "nothing half-done");

        terok.runWithInput(TOKEN + "\n", "vault", "add", "forge").ok();
        Terok.Result listed = terok.run("vault", "list").ok();
        assertTrue(listed.out().contains("127.0.0.1:" + forge.port()) && !listed.out().contains(TOKEN), listed.out());

        terok.run("gate", "create", "e2e-https", forge.url("private")).ok();
        Path gate = Path.of(terok.run("gate", "path", "e2e-https").ok().out().trim());
        assertEquals(terok.git(up, "rev-parse", "main"), terok.git(gate, "rev-parse", "refs/heads/main"), "mirrored over https");

        // A reviewed branch (pushed into the gate as a task would) is forwarded upstream.
        String pushed = terok.pushAsTask(gate, terok.home.resolve("https-task"), "reviewed");
        terok.run("gate", "forward", "e2e-https", "reviewed").ok();
        assertEquals(pushed, terok.git(up, "rev-parse", "refs/heads/reviewed"), "forwarded over https");
        for (TestGitHttps.Request r : forge.requests()) {
            assertTrue(r.authorization() == null || r.authorization().equals(forge.expectedAuthorization()), r.toString());
        }
        assertTrue(forge.requests().stream().anyMatch(r -> r.method().equals("POST") && r.path().endsWith("/git-receive-pack")
                && forge.expectedAuthorization().equals(r.authorization())), "the push went with the token");

        String audit = Files.readString(terok.home.resolve("data/vault/audit.jsonl"));
        assertTrue(audit.lines().anyMatch(l -> l.contains("\"task\":\"gate:e2e-https\"") && l.contains("\"method\":\"CREDENTIAL\"")
                && l.contains("\"provider\":\"forge\"") && l.contains("\"path\":\"forward 127.0.0.1:" + forge.port() + "/private.git\"")
                && l.contains("\"outcome\":\"ok\"")), "the gate's credential requests are audited: " + audit);
        assertFalse(audit.contains(TOKEN));
        String b64 = forge.expectedAuthorization().substring("Basic ".length());
        try (Stream<Path> files = Files.walk(terok.home.resolve("data/gate"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertFalse(text.contains(TOKEN) || text.contains(b64), "the token is in " + f);
            }
        }
        try (Stream<Path> files = Files.walk(terok.home)) {
            // Only the vault's encrypted database holds it (and the test's own server directory).
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (!f.startsWith(terok.home.resolve("forge")) && !f.startsWith(terok.home.resolve("data/vault"))) {
                    assertFalse(Files.readString(f, StandardCharsets.ISO_8859_1).contains(TOKEN), "the token is in " + f);
                }
            }
        }
    }

    @Test
    void aHostNoProviderListsNeverGetsTheToken() throws Exception {
        terok.runWithInput(TOKEN + "\n", "vault", "add", "forge").ok();
        stranger.repository("other");
        stranger.clearRequests();
        Terok.Result r = terok.run("gate", "create", "e2e-stranger", stranger.url("other"));
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("no vault provider holds a credential for git host 127.0.0.1:" + stranger.port())
                && r.err().contains("git-hosts"), r.err());
        assertFalse(stranger.requests().isEmpty());
        for (TestGitHttps.Request q : stranger.requests()) {
            assertEquals(null, q.authorization(), "the token went to a host no provider lists: " + q);
        }
        assertFalse(terok.run("gate", "list").ok().out().contains("e2e-stranger"));
    }
}
