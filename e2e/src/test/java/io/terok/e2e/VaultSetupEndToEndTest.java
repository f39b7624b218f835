package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.testsupport.Cmd;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A fresh installation through {@code bin/terok}: {@code terok vault setup} (the vault step of {@code terok setup})
 * generates the passphrase and keeps it with the real systemd-creds (root, as in CI), records it in the
 * installation's config.yaml, and the vault unlocks by itself again after the services restart. Then
 * {@code terok vault audit} shows the broker's requests as a table and as JSON lines, and {@code --follow} streams
 * a new one as it happens.
 */
class VaultSetupEndToEndTest {
    static Terok terok;

    @BeforeAll
    static void up() throws Exception {
        terok = new Terok(Terok.freshHome("vault-setup", null), null);
        Files.createDirectories(terok.home.resolve("config"));
        // The kernel keyring would cache a typed passphrase; this installation must unlock through its own tier.
        Files.writeString(terok.home.resolve("config/config.yaml"), "terok:\n  vault:\n    kernel-keyring: false\n    secret-service: false\n");
        terok.run("services", "up").ok();
    }

    @AfterAll
    static void down() {
        if (terok != null) {
            // The installation's encrypted credential and database go with it.
            terok.discard();
        }
    }

    @Test
    void setupProvisionsAPassphraseThatSurvivesARestartAndTheAuditIsReadable() throws Exception {
        Terok.Result before = terok.run("vault", "status");
        assertEquals(1, before.exitCode(), before.out());
        assertTrue(before.out().contains("not created yet") && before.out().contains("locked"), before.out());

        Terok.Result setup = terok.run("vault", "setup").ok();
        Path cred = terok.home.resolve("data/vault/passphrase.cred");
        Path config = terok.home.resolve("config/config.yaml");
        assertTrue(setup.out().contains("generated, encrypted with systemd-creds") && setup.out().contains("recorded in " + config),
                setup.out());
        assertTrue(setup.out().contains("unlocked (systemd-creds)"), setup.out());
        assertTrue(Files.readString(config).contains("systemd-creds-file: " + cred), Files.readString(config));
        assertTrue(Files.readString(config).contains("kernel-keyring: false"), "the operator's keys are kept");
        assertTrue(Files.size(cred) > 0);

        Terok.Result again = terok.run("vault", "setup").ok();
        assertTrue(again.out().contains("unchanged") && again.out().contains("credentials.db exists"), again.out());

        terok.runWithInput("sk-setup-REAL-0123", "vault", "add", "anthropic").ok();
        terok.run("services", "down").ok();
        terok.run("services", "up").ok();
        Terok.Result after = terok.run("vault", "status").ok();
        assertTrue(after.out().contains("unlocked (systemd-creds)"), "unlocked by itself after a restart: " + after.out());
        assertTrue(terok.run("vault", "list").ok().out().contains("credential default/anthropic"));

        // The audit: a request without a token is refused and audited.
        int port = Integer.parseInt(terok.env.get("TEROK_VAULT_BROKER_PORT"));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> denied = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/first")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, denied.statusCode());
        String table = "";
        for (int i = 0; i < 50 && !table.contains("/v1/first"); i++) {
            table = terok.run("vault", "audit", "--since", "1h").ok().out();
            Thread.sleep(100);
        }
        assertTrue(table.startsWith("TIME") && table.contains("missing_token") && table.contains("401"), table);
        String json = terok.run("vault", "audit", "--json").ok().out();
        assertTrue(json.lines().anyMatch(l -> l.startsWith("{") && l.contains("\"path\":\"/v1/first\"") && l.contains("\"status\":401")), json);
        assertFalse(terok.run("vault", "audit", "--json", "--task", "no-such-task").ok().out().contains("/v1/first"));
        assertEquals(2, terok.run("vault", "audit", "--since", "yesterday").exitCode());

        // --follow: a new entry appears while the command runs.
        Process follow = new ProcessBuilder(terok.commandLine("vault", "audit", "--follow", "--json", "--since", "1s"))
                .redirectErrorStream(true).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(follow.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try {
                    for (String l; (l = lines.readLine()) != null; ) {
                        if (l.contains("/v1/followed")) {
                            return l;
                        }
                    }
                    return "";
                } catch (java.io.IOException e) {
                    return "";
                }
            });
            // The command needs a moment (longer on a loaded machine) to connect and subscribe: an entry made
            // before that may be missed, so a new one is made every two seconds until one is shown.
            String got = null;
            for (int i = 0; i < 30 && got == null; i++) {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/followed")).build(),
                        HttpResponse.BodyHandlers.ofString());
                try {
                    got = line.get(2, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException notYet) {
                    assertTrue(follow.isAlive(), "--follow ended early");
                }
            }
            assertTrue(got != null, "no followed entry in 60 s");
            assertTrue(got.contains("\"outcome\":\"missing_token\""), got);
            assertTrue(follow.isAlive(), "--follow keeps running");
        } finally {
            Cmd.stop(follow);
        }
    }
}
