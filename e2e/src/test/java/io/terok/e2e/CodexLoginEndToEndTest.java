package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.terok.scriptedmodel.RecordedRequest;
import io.terok.scriptedmodel.Script;
import io.terok.scriptedmodel.ScriptedModelServer;
import io.terok.scriptedmodel.Step;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivateInstallation;
import io.terok.testsupport.PrivatePodman;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Codex's ChatGPT login end to end on the fake internet: `terok auth codex --subscription` runs the real Codex's
 * `login --device-auth` in a throwaway container behind shield (profile login-openai), which reaches a fake
 * auth.openai.com under its real name (this test's DNS in its own netns, TLS from this test's CA given with
 * --ca-file); the tokens land in the vault; then a headless Codex task on provider chatgpt holds only phantoms (its
 * auth.json and environment) while the fake ChatGPT backend behind the broker receives the real access token,
 * refreshed by the broker at the fake issuer because it was about to expire, with the account id. Failures (the issuer
 * refuses, nobody enters the code) store nothing and leave no container.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CodexLoginEndToEndTest {
    /** This class's own project ({@link Terok#projectName}): its L2 image is its own to build and remove. */
    static final String PROJECT = Terok.projectName("codexlogin");
    static final String BASE = "localhost/terok-agent-base:bookworm";
    static final String ACCOUNT = "5b2f0c1e-1111-4000-8000-00000000beef";
    static final String REFRESH = "rt-REAL-chatgpt-refresh-31c9";
    static final String REFRESHED = "REAL-chatgpt-access-refreshed-7d2e";
    static final String CODE = "WXYZ-2345";
    static Terok terok;
    static PrivateInstallation installation;
    static PrivatePodman podman;
    static FakeInternet internet;
    static HttpsServer issuer;
    static HttpServer refreshEndpoint;
    static ScriptedModelServer backend;
    static Path tls;
    static final String ACCESS = jwt("{\"exp\":" + (Instant.now().getEpochSecond() + 30)
            + ",\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\"" + ACCOUNT + "\"}}");
    static final List<String> issued = Collections.synchronizedList(new ArrayList<>());
    static final List<String> refreshForms = Collections.synchronizedList(new ArrayList<>());
    static final AtomicInteger polls = new AtomicInteger();
    /** approve | refuse | pending */
    static volatile String mode = "approve";

    @BeforeAll
    static void up() throws Exception {
        installation = Terok.install("codexlogin", FakeInternet.spec("cxl").hostName("auth.openai.com")).withStagedAgents();
        terok = new Terok(installation);
        internet = installation.internet();
        podman = installation.podman();
        tls = Files.createDirectories(terok.home.resolve("tls"));
        certificates(tls, "auth.openai.com");
        issuer = HttpsServer.create(new InetSocketAddress(internet.hostIp(), 443), 0);
        issuer.setHttpsConfigurator(new HttpsConfigurator(sslContext(tls)));
        issuer.createContext("/", CodexLoginEndToEndTest::issue);
        issuer.start();
        // The broker runs on the host and uses the host's resolver: its refresh endpoint is configured on loopback.
        refreshEndpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        refreshEndpoint.createContext("/oauth/token", CodexLoginEndToEndTest::refresh);
        refreshEndpoint.start();
        backend = ScriptedModelServer.start(Script.of(Step.shell("echo chatgpt-ran > ran.txt"), Step.text("Done on ChatGPT.")));
        installation.configWithVault("e2e-codex-login-passphrase",
                "    providers:",
                "      chatgpt:",
                "        upstream: " + backend.baseUrl() + "/backend-api/codex",
                "        oauth-refresh-url: http://127.0.0.1:" + refreshEndpoint.getAddress().getPort() + "/oauth/token",
                "git:",
                "  human_name: Login Tester",
                "  human_email: login@example.com");
        installation.start();
        Path upstream = terok.seedUpstream();
        // The same agents as AgentTaskEndToEndTest: the cached L0 and L1 are shared, only this project's L2 is built.
        terok.run("project", "init", PROJECT, "--upstream", "file://" + upstream, "--agents", "claude,codex",
                "--agent", "codex", "--base-image", BASE).ok();
    }

    @AfterAll
    static void down() throws Exception {
        if (installation != null) {
            terok.deleteProjectAndTasks(PROJECT);
        }
        if (issuer != null) {
            issuer.stop(0);
        }
        if (refreshEndpoint != null) {
            refreshEndpoint.stop(0);
        }
        for (AutoCloseable c : new AutoCloseable[] {installation, backend}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** auth.openai.com as Codex 0.171.0's device login calls it (measured, docs/agents.md). */
    static void issue(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = x.getRequestURI().getPath();
        issued.add(x.getRequestMethod() + " " + path);
        if (mode.equals("refuse")) {
            send(x, 403, "{\"error\":\"access_denied\"}");
        } else if (path.equals("/api/accounts/deviceauth/usercode")) {
            send(x, 200, "{\"device_auth_id\":\"dev-42\",\"user_code\":\"" + CODE + "\",\"interval\":\"1\"}");
        } else if (path.equals("/api/accounts/deviceauth/token")) {
            // Not yet approved: once, or for ever when nobody enters the code.
            if (mode.equals("pending") || polls.incrementAndGet() < 2) {
                send(x, 404, "{\"error\":\"authorization_pending\"}");
            } else {
                send(x, 200, "{\"authorization_code\":\"authcode-9\",\"code_challenge\":\"ch\",\"code_verifier\":\"verifier-9\"}");
            }
        } else if (path.equals("/oauth/token") && body.contains("code=authcode-9")) {
            String id = jwt("{\"email\":\"person@example.com\",\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\""
                    + ACCOUNT + "\",\"chatgpt_plan_type\":\"pro\"}}");
            send(x, 200, "{\"id_token\":\"" + id + "\",\"access_token\":\"" + ACCESS + "\",\"refresh_token\":\"" + REFRESH
                    + "\",\"token_type\":\"Bearer\",\"expires_in\":30}");
        } else {
            send(x, 400, "{\"error\":\"invalid_request\"}");
        }
    }

    /** The issuer's token endpoint as the broker calls it to refresh. */
    static void refresh(HttpExchange x) throws IOException {
        String form = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        refreshForms.add(form);
        if (form.contains("grant_type=refresh_token") && form.contains("refresh_token=" + REFRESH)) {
            send(x, 200, "{\"access_token\":\"" + REFRESHED + "\",\"refresh_token\":\"" + REFRESH + "-2\",\"expires_in\":3600}");
        } else {
            send(x, 400, "{\"error\":\"invalid_grant\"}");
        }
    }

    static void send(HttpExchange x, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    static String jwt(String claims) {
        Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
        return b.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    }

    /** A CA and a certificate for {@code name} (and {@code more} names), made by the real openssl. */
    static void certificates(Path dir, String name, String... more) throws IOException {
        String d = dir.toString();
        Cmd.ok("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=terok login test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", d + "/ca.key", "-out", d + "/ca.pem");
        Cmd.ok("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", d + "/server.key",
                "-out", d + "/server.csr");
        StringBuilder san = new StringBuilder("DNS:" + name);
        for (String m : more) {
            san.append(",DNS:").append(m);
        }
        Files.writeString(dir.resolve("ext.cnf"), "subjectAltName=" + san + "\nextendedKeyUsage=serverAuth\n"
                + "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n");
        Cmd.ok("openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.pem", "-CAkey", d + "/ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", d + "/ext.cnf", "-out", d + "/server.pem");
        Cmd.ok("openssl", "pkcs12", "-export", "-inkey", d + "/server.key", "-in", d + "/server.pem", "-name", "server",
                "-passout", "pass:test", "-out", d + "/server.p12");
    }

    static SSLContext sslContext(Path dir) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            ks.load(in, "test".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "test".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    static Terok.Result login(String... extra) {
        List<String> args = new ArrayList<>(List.of("auth", "codex", "--subscription", "--ca-file", tls.resolve("ca.pem").toString()));
        args.addAll(List.of(extra));
        return terok.run(args.toArray(String[]::new));
    }

    static void nothingStoredAndNoContainerLeft() {
        assertFalse(terok.run("auth", "--list").ok().out().lines().anyMatch(l -> l.startsWith("chatgpt ") && !l.contains("none")),
                "no chatgpt credential: " + terok.run("auth", "--list").out());
        assertFalse(terok.run("ps", "-a").ok().out().contains("terok-login"), "no login container left: " + terok.run("ps", "-a").out());
        assertEquals("", Cmd.ok("podman", "--url", "unix://" + podman.socket, "ps", "-a", "-q", "--filter", "label=terok-login").strip());
    }

    @Test
    @Order(0)
    void theFakeIssuerIsReachableUnderItsRealNameThroughTheLoginProfile() {
        // What the login container relies on, checked with curl: the fake internet's DNS, shield's login-openai
        // profile, the test's CA.
        String image = terok.run("project", "show", PROJECT).ok().out().lines().filter(l -> l.contains("localhost/terok-l2-" + PROJECT))
                .findFirst().orElseThrow().replaceAll(".*(localhost/terok-l2-" + PROJECT + ":[0-9a-f]+).*", "$1");
        Terok.Result r = terok.run("run", "--rm", "--read-only", "--profile", "login-openai", "-v", tls.resolve("ca.pem") + ":/ca.pem:ro",
                image, "curl", "-sS", "-m", "20", "--cacert", "/ca.pem", "-X", "POST", "-d", "{}",
                "https://auth.openai.com/api/accounts/deviceauth/usercode");
        assertTrue(r.out().contains("user_code"), r.out() + "\n" + r.err());
    }

    @Test
    @Order(1)
    void aRefusingIssuerFailsTheLoginNamingTheProviderAndStoresNothing() {
        issued.clear();
        mode = "refuse";
        Terok.Result r = login();
        assertNotEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("the ChatGPT login for provider chatgpt failed"), r.err());
        assertTrue(issued.stream().anyMatch(q -> q.equals("POST /api/accounts/deviceauth/usercode")),
                "the login in the container reached the fake auth.openai.com through its firewall: " + issued);
        nothingStoredAndNoContainerLeft();
    }

    @Test
    @Order(2)
    void aLoginNobodyCompletesTimesOutAndStoresNothing() {
        mode = "pending";
        Terok.Result r = login("--timeout", "12");
        assertNotEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("open https://auth.openai.com/codex/device") && r.out().contains(CODE),
                "the code was shown while waiting: " + r.out());
        assertTrue(r.err().contains("the ChatGPT login for provider chatgpt timed out after 12 s"), r.err());
        nothingStoredAndNoContainerLeft();
    }

    @Test
    @Order(3)
    void theLoginStoresTheTokensAndLeavesNothingBehind() {
        mode = "approve";
        Terok.Result r = login("--project", PROJECT);
        assertEquals(0, r.exitCode(), r.out() + "\n" + r.err());
        assertTrue(r.out().contains("To log in to ChatGPT, open https://auth.openai.com/codex/device"), r.out());
        assertTrue(r.out().contains("enter the code " + CODE), r.out());
        assertTrue(r.out().contains("logged in") && r.out().contains(ACCOUNT), r.out());
        assertFalse((r.out() + r.err()).contains(REFRESH) || (r.out() + r.err()).contains(ACCESS), "no token is shown");
        assertTrue(terok.run("auth", "--list").ok().out().lines().anyMatch(l -> l.matches("chatgpt\\s+subscription\\s+default.*")),
                terok.run("auth", "--list").out());
        assertFalse(terok.run("ps", "-a").ok().out().contains("terok-login"));
        assertEquals("", Cmd.ok("podman", "--url", "unix://" + podman.socket, "ps", "-a", "-q", "--filter", "label=terok-login").strip());
    }

    static String taskId(Terok.Result r) {
        Matcher m = Pattern.compile("== task ([0-9a-f]{32}) ").matcher(r.out());
        assertTrue(m.find(), r.out() + r.err());
        return m.group(1);
    }

    @Test
    @Order(4)
    void aCodexTaskOnTheSubscriptionHoldsPhantomsWhileTheBackendGetsTheRealRefreshedToken() {
        Terok.Result r = terok.run("task", "run", PROJECT, "Write ran.txt.", "--agent", "codex", "--provider", "chatgpt");
        assertEquals(0, r.exitCode(), r.out() + "\n" + r.err());
        assertTrue(r.out().contains("Done on ChatGPT."), r.out());
        String id = taskId(r);
        // The broker refreshed the access token (it expires within its margin) with the real refresh token...
        assertTrue(refreshForms.stream().anyMatch(f -> f.contains("refresh_token=" + REFRESH) && f.contains("client_id=app_")),
                refreshForms.toString());
        // ...and the backend saw that token and the account, on ChatGPT's Codex path.
        List<RecordedRequest> got = backend.requests().stream().filter(q -> q.path().equals("/backend-api/codex/responses")).toList();
        assertFalse(got.isEmpty(), "the model request reached the ChatGPT backend path: " + backend.requests());
        for (RecordedRequest q : got) {
            assertEquals("Bearer " + REFRESHED, q.header("authorization"));
            assertEquals(ACCOUNT, q.header("chatgpt-account-id"));
        }
        // The task holds phantoms only: its auth.json and its environment.
        String auth = terok.run("exec", id, "cat", "/home/dev/.codex/auth.json").ok().out();
        String env = terok.run("exec", id, "env").ok().out();
        String phantom = env.lines().filter(l -> l.startsWith("TEROK_CHATGPT_TOKEN=")).findFirst().orElseThrow().substring(20);
        assertTrue(auth.contains("\"access_token\": \"" + phantom + "\"") && auth.contains(ACCOUNT), auth);
        String everything = terok.run("exec", id, "sh", "-c", "env; cat /home/dev/.codex/* 2>/dev/null; true").ok().out();
        for (String secret : List.of(REFRESH, REFRESHED, ACCESS)) {
            assertFalse(everything.contains(secret), "a real token in the task's environment or agent files: " + everything);
        }
        // Files anywhere the task can write or read its configuration from (the patterns travel by environment, not argv).
        Terok.Result grep = terok.run("exec", "-e", "A=" + REFRESH, "-e", "B=" + REFRESHED, "-e", "C=" + ACCESS, id, "sh", "-c", "grep -rlF -e \"$A\" -e \"$B\" -e \"$C\" /home /etc /tmp /workspace"
                + " 2>/dev/null; true");
        assertEquals("", grep.ok().out().strip(), "files holding a real token");
        assertTrue(terok.run("exec", id, "cat", "/workspace/ran.txt").ok().out().contains("chatgpt-ran"), "the tool call ran in the task");
    }
}
