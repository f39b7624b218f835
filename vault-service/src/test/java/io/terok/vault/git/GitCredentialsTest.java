package io.terok.vault.git;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ServiceException;
import io.terok.vault.Vault;
import io.terok.vault.broker.AuditLog;
import io.terok.vault.broker.RouteTable;
import io.terok.vault.passphrase.PassphraseChain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate's git credentials: given from a real (SQLCipher) vault only for an https URL on a provider's own git host
 * and port, refused with the fix otherwise, every request audited as {@code gate:<project>} without the secret.
 */
class GitCredentialsTest {
    @TempDir
    Path tmp;
    Vault vault;
    AuditLog audit;
    GitCredentials creds;

    @BeforeEach
    void open() {
        Map<String, RouteTable.Override> routes = new LinkedHashMap<>();
        routes.put("forge", new RouteTable.Override(Optional.of("https://git.example.org/api/v1"), Optional.empty(), Optional.empty(), Map.of()));
        RouteTable table = RouteTable.withOverrides(routes);
        vault = new Vault(tmp.resolve("data/credentials.db"), new PassphraseChain(List.of()), table, Clock.systemUTC());
        vault.unlock("test-passphrase");
        audit = new AuditLog(tmp.resolve("data/audit.jsonl"));
        Map<String, GitHosts.Override> git = Map.of("forge", new GitHosts.Override(Optional.of(List.of("git.example.org:8443")),
                Optional.of("terok")));
        creds = new GitCredentials(vault, GitHosts.of(table, git), audit, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        audit.close();
        vault.close();
    }

    @Test
    void givesAProvidersCredentialOnlyForItsOwnGitHost() throws Exception {
        vault.putCredential("", "github", "api_key", "ghp_secret_github", null, null);
        vault.putCredential("", "forge", "api_key", "forge_secret", null, null);

        GitCredentials.Issued gh = creds.issue("proj", "https://github.com/org/repo.git", "sync");
        assertEquals("github", gh.provider());
        assertEquals("x-access-token", gh.username());
        assertEquals("ghp_secret_github", gh.password());
        assertEquals("github.com:443", gh.host());
        assertEquals("x-access-token", creds.issue("proj", "https://GitHub.com:443/org/repo", "forward").username());
        assertFalse(gh.toString().contains("ghp_secret_github"));

        GitCredentials.Issued forge = creds.issue("proj", "https://git.example.org:8443/team/r.git", "sync");
        assertEquals("forge_secret", forge.password());
        assertEquals("terok", forge.username());

        // Another port, another host, a look-alike host, plain http: never.
        for (String url : List.of("https://github.com:8443/org/repo.git", "https://git.example.org/team/r.git",
                "https://github.com.evil.example/org/repo.git", "https://api.github.com/org/repo.git")) {
            ServiceException e = assertThrows(ServiceException.class, () -> creds.issue("proj", url, "sync"), url);
            assertTrue(e.getMessage().contains("no vault provider holds a credential for git host") && e.getMessage().contains("git-hosts"),
                    e.getMessage());
        }
        ServiceException http = assertThrows(ServiceException.class, () -> creds.issue("proj", "http://github.com/org/repo.git", "sync"));
        assertTrue(http.getMessage().contains("only for https://"), http.getMessage());
        assertThrows(ServiceException.class, () -> creds.issue("proj", "https://u:p@github.com/org/repo.git", "sync"));
        assertThrows(ServiceException.class, () -> creds.issue("../x", "https://github.com/org/repo.git", "sync"));
        assertThrows(ServiceException.class, () -> creds.issue("proj", "https://github.com/org/repo.git", "Sync Now"));

        audit.flush();
        String log = Files.readString(tmp.resolve("data/audit.jsonl"));
        assertTrue(log.lines().anyMatch(l -> l.contains("\"task\":\"gate:proj\"") && l.contains("\"provider\":\"github\"")
                && l.contains("\"method\":\"CREDENTIAL\"") && l.contains("\"path\":\"sync github.com/org/repo.git\"")
                && l.contains("\"outcome\":\"ok\"")), log);
        assertTrue(log.contains("\"outcome\":\"no_route\""), log);
        assertFalse(log.contains("ghp_secret_github") || log.contains("forge_secret"), "never the secret in the audit");
    }

    @Test
    void refusalsNameTheFix() throws Exception {
        ServiceException missing = assertThrows(ServiceException.class, () -> creds.issue("proj", "https://gitlab.com/g/r.git", "sync"));
        assertEquals(ServiceException.Kind.PRECONDITION, missing.kind());
        assertTrue(missing.getMessage().contains("terok vault add gitlab") && missing.getMessage().contains("project proj"),
                missing.getMessage());

        vault.putCredential("", "gitlab", "oauth", "expired_access", null, System.currentTimeMillis() - 1000);
        ServiceException expired = assertThrows(ServiceException.class, () -> creds.issue("proj", "https://gitlab.com/g/r.git", "sync"));
        assertTrue(expired.getMessage().contains("expired") && expired.getMessage().contains("terok vault add gitlab"), expired.getMessage());
        vault.putCredential("", "gitlab", "oauth", "fresh_access", null, System.currentTimeMillis() + 3_600_000);
        GitCredentials.Issued gl = creds.issue("proj", "https://gitlab.com/g/r.git", "sync");
        assertEquals("oauth2", gl.username());
        assertEquals("fresh_access", gl.password());

        vault.lock();
        ServiceException locked = assertThrows(ServiceException.class, () -> creds.issue("proj", "https://gitlab.com/g/r.git", "sync"));
        assertTrue(locked.getMessage().contains("terok vault unlock"), locked.getMessage());
        audit.flush();
        String log = Files.readString(tmp.resolve("data/audit.jsonl"));
        for (String outcome : List.of("credential_missing", "oauth_expired", "ok", "vault_locked")) {
            assertTrue(log.contains("\"outcome\":\"" + outcome + "\""), outcome + ": " + log);
        }
    }

    @Test
    void configurationMistakesNameTheKey() {
        RouteTable table = RouteTable.withOverrides(Map.of());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> GitHosts.of(table,
                Map.of("gitlab", new GitHosts.Override(Optional.of(List.of("GitHub.com")), Optional.empty()))));
        assertTrue(twice.getMessage().contains("terok.vault.providers.gitlab.git-hosts") && twice.getMessage().contains("github"),
                twice.getMessage());
        IllegalArgumentException noRoute = assertThrows(IllegalArgumentException.class, () -> GitHosts.of(table,
                Map.of("nowhere", new GitHosts.Override(Optional.of(List.of("git.example.net")), Optional.of("u")))));
        assertTrue(noRoute.getMessage().contains("terok.vault.providers.nowhere"), noRoute.getMessage());
        IllegalArgumentException noUser = assertThrows(IllegalArgumentException.class, () -> GitHosts.of(table,
                Map.of("openai", new GitHosts.Override(Optional.of(List.of("git.example.net")), Optional.empty()))));
        assertTrue(noUser.getMessage().contains("git-user"), noUser.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> GitHosts.of(table,
                Map.of("github", new GitHosts.Override(Optional.of(List.of("github.com/org")), Optional.empty()))));
        assertTrue(bad.getMessage().contains("not a host"), bad.getMessage());
        GitHosts moved = GitHosts.of(table, Map.of("github", new GitHosts.Override(Optional.of(List.of("ghe.example.com", "github.com")),
                Optional.empty())));
        assertEquals(List.of("ghe.example.com", "github.com"), moved.hosts("github"));
        assertEquals("x-access-token", moved.user("github"));
    }
}
