package io.terok.gate.https;

import static io.terok.gate.upstream.UpstreamWork.advance;
import static io.terok.gate.upstream.UpstreamWork.git;
import static io.terok.gate.upstream.UpstreamWork.pushTaskBranch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.terok.common.ServiceException;
import io.terok.gate.repo.Maintenance;
import io.terok.gate.repo.Mirror;
import io.terok.gate.repo.Projects;
import io.terok.gate.repo.Records;
import io.terok.gate.upstream.UpstreamAccess;
import io.terok.gate.upstream.Upstreams;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.TestGitHttps;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Private https upstreams: the real {@code git http-backend} behind an HTTPS server on loopback with a certificate from
 * the test's own CA (trusted through the gate's upstream CA file, never by turning verification off), wanting HTTP
 * Basic. The credential source here stands in for the vault's {@code GetGitCredential} (which GateHttpsEndToEndTest
 * runs for real) and, like the vault, gives the credential only for its own host. The gate must sync and forward with
 * it, ask for it only when the upstream wants one and once per operation, never send it to another origin, fail with
 * the fix and nothing changed when it has none or the upstream rejects it, and write it nowhere.
 */
class HttpsUpstreamTest {
    static final String USER = "x-access-token";
    static final String SECRET = "ghp_terokTestSecret0123456789";
    static Path tmp;
    static TestGitHttps server;
    static TestGitHttps other;
    static Projects projects;
    static Mirror mirror;
    static final List<String> asked = new CopyOnWriteArrayList<>();
    static volatile String password = SECRET;
    static volatile String refusal;

    @BeforeAll
    static void up() throws Exception {
        Cmd.require(List.of("git", "openssl"));
        tmp = Files.createTempDirectory("terok-gate-https");
        server = TestGitHttps.start(tmp.resolve("host-a"), USER, SECRET);
        // Another host with the same CA and the same expected credential: if the gate ever sent it there, it would work.
        other = TestGitHttps.start(tmp.resolve("host-a"), USER, SECRET);
        projects = new Projects(tmp.resolve("data/gate"));
        mirror = mirror(UpstreamTls.withCaFile(server.caFile()));
    }

    /** Like the vault: a credential only for the host (and port) it belongs to. */
    static Mirror mirror(UpstreamTls tls) {
        CredentialSource source = (project, url, purpose) -> {
            asked.add(project + " " + purpose + " " + url);
            if (refusal != null) {
                throw ServiceException.precondition(refusal);
            }
            String host = "127.0.0.1:" + server.port();
            if (!url.startsWith("https://" + host + "/")) {
                throw ServiceException.precondition("no vault provider holds a credential for git host " + url);
            }
            return new CredentialSource.Credential("github", host, USER, password.toCharArray());
        };
        UpstreamAccess noSsh = (project, url, knownHosts, purpose) -> {
            throw new AssertionError("no ssh upstream here");
        };
        return new Mirror(projects, Duration.ofDays(30), new Upstreams(new HttpsAccess(source, tls), noSsh), new Maintenance(projects, 300_000));
    }

    @AfterAll
    static void down() {
        if (server != null) {
            server.close();
        }
        if (other != null) {
            other.close();
        }
        Cmd.run("rm", "-rf", tmp.toString());
    }

    @BeforeEach
    void reset() {
        password = SECRET;
        refusal = null;
        asked.clear();
        server.clearRequests();
        other.clearRequests();
    }

    /** The server's records carry the credential only as the expected Basic value, and only there. */
    static void onlyTheRightCredential(TestGitHttps s) {
        for (TestGitHttps.Request r : s.requests()) {
            assertTrue(r.authorization() == null || r.authorization().equals(s.expectedAuthorization()), r.toString());
        }
    }

    static void nothingStoredUnder(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertFalse(text.contains(SECRET), "the credential is in " + f);
                assertFalse(text.contains(server.expectedAuthorization().substring(6)), "the encoded credential is in " + f);
            }
        }
    }

    @Test
    void syncAndForwardAPrivateRepositoryWithTheCredential() throws Exception {
        Path up = server.repository("private");
        // The fixture is a real private git host: the real git CLI gets 401 without the credential, in with it.
        Cmd.Output anon = Cmd.exec(List.of("git", "ls-remote", server.url("private")), tmp, env -> {
            env.put("GIT_TERMINAL_PROMPT", "0");
            env.put("GIT_SSL_CAINFO", server.caFile().toString());
        }, null, 60);
        assertTrue(anon.code() != 0 && (anon.err().contains("Authentication failed") || anon.err().contains("401")
                || anon.err().contains("could not read Username")), anon.toString());
        Cmd.Output listed = Cmd.exec(List.of("git", "-c", "http.extraHeader=Authorization: " + server.expectedAuthorization(),
                "ls-remote", server.url("private")), tmp, env -> env.put("GIT_SSL_CAINFO", server.caFile().toString()), null, 60);
        assertTrue(listed.code() == 0 && listed.out().contains("refs/heads/main"), listed.toString());
        server.clearRequests();

        projects.create("https-private", server.url("private"));
        Records.SyncResult first = mirror.sync("https-private");
        Path gate = projects.path("https-private");
        assertEquals(git(up, "rev-parse", "main"), git(gate, "rev-parse", "refs/heads/main"), first.toString());
        assertEquals("refs/heads/main", git(gate, "symbolic-ref", "HEAD"));
        assertEquals(List.of("https-private sync " + server.url("private")), asked, "asked once, for this operation");
        assertTrue(server.requests().stream().anyMatch(r -> r.authorization() == null), "first without: the upstream asked");
        assertTrue(server.requests().stream().anyMatch(r -> server.expectedAuthorization().equals(r.authorization())));
        onlyTheRightCredential(server);

        // A task's branch, reviewed, goes upstream.
        Path task = tmp.resolve("task-work");
        pushTaskBranch(gate, task);
        asked.clear();
        Records.Update fwd = mirror.forward("https-private", "feature", "", git(task, "rev-parse", "HEAD"));
        assertEquals("forward", fwd.kind());
        assertEquals(git(task, "rev-parse", "HEAD"), git(up, "rev-parse", "refs/heads/feature"), "delivered upstream over https");
        assertEquals(List.of("https-private sync " + server.url("private"), "https-private forward " + server.url("private")), asked,
                "forward syncs (one credential) then pushes (another)");
        onlyTheRightCredential(server);
        assertTrue(other.requests().isEmpty());
        nothingStoredUnder(tmp.resolve("data"));
        assertFalse(Files.readString(gate.resolve("config")).contains("extraHeader"), "nothing in the mirror's git config");
    }

    @Test
    void noCredentialOrAWrongOneIsAClearErrorAndChangesNothing() throws Exception {
        Path up = server.repository("nocred");
        projects.create("https-nocred", server.url("nocred"));
        mirror.sync("https-nocred");
        Path gate = projects.path("https-nocred");
        String before = git(gate, "rev-parse", "refs/terok/upstream/main");
        Path work = tmp.resolve("nocred-work");
        advance(up, work, "more upstream work");

        refusal = "no credential for provider github (git host 127.0.0.1:" + server.port() + ", project https-nocred): store its"
                + " token with `terok vault add github`";
        ServiceException none = assertThrows(ServiceException.class, () -> mirror.sync("https-nocred"));
        assertEquals(ServiceException.Kind.PRECONDITION, none.kind());
        assertTrue(none.getMessage().contains("project https-nocred") && none.getMessage().contains("127.0.0.1:" + server.port())
                && none.getMessage().contains("terok vault add github") && none.getMessage().contains("401"), none.getMessage());
        assertEquals(before, git(gate, "rev-parse", "refs/terok/upstream/main"), "nothing fetched");
        assertEquals(before, git(gate, "rev-parse", "refs/heads/main"));

        refusal = null;
        password = "ghp_wrong";
        server.clearRequests();
        asked.clear();
        ServiceException wrong = assertThrows(ServiceException.class, () -> mirror.sync("https-nocred"));
        assertTrue(wrong.getMessage().contains("rejected the credential of vault provider github")
                && wrong.getMessage().contains("terok vault add github") && wrong.getMessage().contains("project https-nocred"),
                wrong.getMessage());
        assertFalse(wrong.getMessage().contains("ghp_wrong"), "never the secret in a message");
        assertEquals(1, asked.size(), "asked once, not again after the upstream rejected it: " + asked);
        assertEquals(before, git(gate, "rev-parse", "refs/terok/upstream/main"), "nothing fetched");

        password = SECRET;
        mirror.sync("https-nocred");
        assertEquals(git(up, "rev-parse", "main"), git(gate, "rev-parse", "refs/heads/main"), "works again with the right one");
    }

    @Test
    void aRedirectElsewhereNeverCarriesTheCredential() throws Exception {
        other.repository("moved");
        // After the client authenticated, the upstream sends it to another port of the same host (JGit itself would keep
        // the credential there), then to another host name.
        for (String host : List.of("127.0.0.1", "localhost")) {
            String name = "https-moved-" + (host.equals("localhost") ? "host" : "port");
            server.redirect("/" + name + ".git", other.url(host, "moved"));
            projects.create(name, server.url(name));
            other.clearRequests();
            asked.clear();
            ServiceException e = assertThrows(ServiceException.class, () -> mirror.sync(name));
            assertTrue(e.getMessage().contains("redirected to https://" + host + ":" + other.port())
                    && e.getMessage().contains("project " + name), e.getMessage());
            assertFalse(other.requests().isEmpty(), "the redirect was followed");
            for (TestGitHttps.Request r : other.requests()) {
                assertEquals(null, r.authorization(), "no credential to " + host + ":" + other.port() + ": " + r);
            }
            assertEquals(List.of(), refsUnder(projects.path(name)), "nothing fetched");
        }
    }

    static List<String> refsUnder(Path repo) {
        String out = git(repo, "for-each-ref", "--format=%(refname)");
        return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    @Test
    void plainHttpNeverGetsACredential() throws Exception {
        List<String> auths = new ArrayList<>();
        HttpServer plain = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        plain.createContext("/", ex -> {
            auths.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"plain\"");
            ex.sendResponseHeaders(401, -1);
            ex.close();
        });
        plain.start();
        try {
            projects.create("http-plain", "http://127.0.0.1:" + plain.getAddress().getPort() + "/r.git");
            ServiceException e = assertThrows(ServiceException.class, () -> mirror.sync("http-plain"));
            assertTrue(e.getMessage().contains("only over https") && e.getMessage().contains("project http-plain"), e.getMessage());
            assertEquals(List.of(), asked, "the vault is not even asked");
            assertTrue(auths.stream().allMatch("null"::equals), auths.toString());
        } finally {
            plain.stop(0);
        }
    }

    @Test
    void anUntrustedCertificateFailsClosedWithoutAnyCredential() throws Exception {
        server.repository("untrusted");
        projects.create("https-untrusted", server.url("untrusted"));
        Mirror jdkOnly = mirror(UpstreamTls.jdk());
        ServiceException e = assertThrows(ServiceException.class, () -> jdkOnly.sync("https-untrusted"));
        assertTrue(e.getMessage().contains("terok.gate.upstream-ca-file"), e.getMessage());
        assertEquals(List.of(), asked);
        assertTrue(server.requests().isEmpty(), "no request got through the handshake");
    }

    @Test
    void aCredentialInTheUrlIsRefused() {
        ServiceException e = assertThrows(ServiceException.class, () -> projects.create("https-userinfo", "https://me:hunter2@example.com/r.git"));
        assertEquals(ServiceException.Kind.INVALID, e.kind());
        assertTrue(e.getMessage().contains("terok vault add") && !e.getMessage().contains("hunter2"), e.getMessage());
        assertFalse(projects.exists("https-userinfo"));
    }
}
