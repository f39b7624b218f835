package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
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
import io.terok.testsupport.RandomHex;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Claude's subscription login end to end on the fake internet: `terok auth claude --subscription` runs the real Claude
 * Code's `claude setup-token` on a TTY in a throwaway container behind shield (profile login-anthropic), which reaches
 * a fake Anthropic under its real names (platform.claude.com's token endpoint, api.anthropic.com's profile; this
 * test's DNS in its own netns, TLS from this test's CA given with --ca-file). This test plays the person's browser: it
 * opens the link terok showed at the fake authorize page (which keeps the PKCE challenge and state) and pastes the
 * CODE#STATE that page gives into terok. The fake token endpoint checks the PKCE verifier, the client, the redirect
 * and the state as Anthropic's would; the token lands in the vault and nowhere else; then a headless Claude Code task
 * holds only its phantom while the model mock behind the broker gets the real token as Bearer with the OAuth beta flag.
 * A refused code and nobody pasting store nothing and leave no container.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClaudeLoginEndToEndTest {
    /** This class's own project ({@link Terok#projectName}): its L2 image is its own to build and remove. */
    static final String PROJECT = Terok.projectName("claudelogin");
    static final String BASE = "localhost/terok-agent-base:bookworm";
    static final String CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
    static final String REDIRECT = "https://platform.claude.com/oauth/code/callback";
    static final String TOKEN = "sk-ant-oat01-REALsubscription" + RandomHex.of(24) + "-x7AA";
    static Terok terok;
    static PrivateInstallation installation;
    static PrivatePodman podman;
    static FakeInternet internet;
    static HttpsServer anthropic;
    static ScriptedModelServer model;
    static Path tls;
    /** What the authorize page handed out: code -> [challenge, state]. */
    static final Map<String, String[]> codes = new ConcurrentHashMap<>();
    static final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    static final List<String> exchanges = Collections.synchronizedList(new ArrayList<>());
    /** approve | refuse */
    static volatile String mode = "approve";

    @BeforeAll
    static void up() throws Exception {
        installation = Terok.install("claudelogin",
                FakeInternet.spec("cll").hostName("platform.claude.com").hostName("api.anthropic.com")).withStagedAgents();
        terok = new Terok(installation);
        internet = installation.internet();
        podman = installation.podman();
        tls = Files.createDirectories(terok.home.resolve("tls"));
        CodexLoginEndToEndTest.certificates(tls, "platform.claude.com", "api.anthropic.com");
        anthropic = HttpsServer.create(new InetSocketAddress(internet.hostIp(), 443), 0);
        anthropic.setHttpsConfigurator(new HttpsConfigurator(CodexLoginEndToEndTest.sslContext(tls)));
        anthropic.createContext("/", ClaudeLoginEndToEndTest::serve);
        anthropic.start();
        model = ScriptedModelServer.start(Script.of(Step.shell("echo claude-ran > ran.txt"), Step.text("Done on the subscription.")));
        installation.configWithVault("e2e-claude-login-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: " + model.baseUrl(),
                "git:",
                "  human_name: Login Tester",
                "  human_email: login@example.com");
        installation.start();
        Path upstream = terok.seedUpstream();
        // The same agents as AgentTaskEndToEndTest: the cached L0 and L1 are shared, only this project's L2 is built.
        terok.run("project", "init", PROJECT, "--upstream", "file://" + upstream, "--agents", "claude,codex",
                "--agent", "claude", "--base-image", BASE).ok();
    }

    @AfterAll
    static void down() throws Exception {
        if (installation != null) {
            terok.deleteProjectAndTasks(PROJECT);
        }
        if (anthropic != null) {
            anthropic.stop(0);
        }
        for (AutoCloseable c : new AutoCloseable[] {installation, model}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /**
     * Anthropic's side as Claude Code 2.1.332's setup-token calls it (measured against a recording server,
     * docs/agents.md): the code exchange at platform.claude.com (JSON, PKCE), then the profile at api.anthropic.com.
     */
    static void serve(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String host = String.valueOf(x.getRequestHeaders().getFirst("Host"));
        String path = x.getRequestURI().getPath();
        calls.add(x.getRequestMethod() + " " + host + path);
        if (host.equals("platform.claude.com") && path.equals("/v1/oauth/token") && x.getRequestMethod().equals("POST")) {
            exchanges.add(body);
            if (mode.equals("refuse")) {
                send(x, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid 'code' in request.\"}");
                return;
            }
            Map<String, String> f = json(body);
            String[] issued = codes.remove(String.valueOf(f.get("code")));
            boolean ok = issued != null && "authorization_code".equals(f.get("grant_type")) && CLIENT_ID.equals(f.get("client_id"))
                    && REDIRECT.equals(f.get("redirect_uri")) && issued[1].equals(f.get("state"))
                    && f.get("code_verifier") != null && issued[0].equals(s256(f.get("code_verifier")));
            if (!ok) {
                send(x, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid 'code' in request.\"}");
                return;
            }
            send(x, 200, "{\"token_type\":\"Bearer\",\"access_token\":\"" + TOKEN + "\",\"expires_in\":" + f.get("expires_in")
                    + ",\"scope\":\"user:inference\",\"organization\":{\"uuid\":\"0f7e6a1c-0000-4000-8000-00000000c0de\","
                    + "\"name\":\"Tester's Organization\"},\"account\":{\"uuid\":\"4c9d2b1e-0000-4000-8000-00000000acc7\","
                    + "\"email_address\":\"person@example.com\"}}");
        } else if (host.equals("api.anthropic.com") && path.equals("/api/oauth/profile")
                && ("Bearer " + TOKEN).equals(x.getRequestHeaders().getFirst("Authorization"))) {
            send(x, 200, "{\"account\":{\"uuid\":\"4c9d2b1e-0000-4000-8000-00000000acc7\",\"email\":\"person@example.com\","
                    + "\"has_claude_max\":true,\"has_claude_pro\":false},\"organization\":{\"uuid\":"
                    + "\"0f7e6a1c-0000-4000-8000-00000000c0de\",\"organization_type\":\"claude_max\"}}");
        } else {
            send(x, 404, "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"Not found\"}}");
        }
    }

    /** The authorize page, as the person's browser sees it after signing in: the code to paste, for this link. */
    static String authorize(String link) {
        URI u = URI.create(link);
        assertEquals("claude.com", u.getHost());
        assertEquals("/cai/oauth/authorize", u.getPath());
        Map<String, String> q = new LinkedHashMap<>();
        for (String pair : u.getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            q.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        assertEquals(CLIENT_ID, q.get("client_id"));
        assertEquals(REDIRECT, q.get("redirect_uri"));
        assertEquals("S256", q.get("code_challenge_method"));
        assertEquals("user:inference", q.get("scope"), "setup-token asks for inference only");
        String code = "ac_" + RandomHex.of(20);
        codes.put(code, new String[] {q.get("code_challenge"), q.get("state")});
        return code + "#" + q.get("state");
    }

    static String s256(String verifier) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A flat JSON object's string and number values (what Claude Code sends to the token endpoint). */
    static Map<String, String> json(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("\"([a-z_]+)\":(\"([^\"]*)\"|([0-9]+))").matcher(body);
        while (m.find()) {
            out.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(4));
        }
        return out;
    }

    static void send(HttpExchange x, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    /**
     * Runs the login as a person does: waits for the link terok shows, hands it to {@code browser} (null: nobody
     * comes), types what that returns. Returns exit code, everything printed, and the link.
     */
    static Login login(Function<String, String> browser, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("auth", "claude", "--subscription", "--ca-file", tls.resolve("ca.pem").toString()));
        args.addAll(List.of(extra));
        Path err = Files.createTempFile(terok.home, "login", ".err");
        Process p = new ProcessBuilder(terok.commandLine(args.toArray(String[]::new))).redirectError(err.toFile()).start();
        StringBuilder out = new StringBuilder();
        String link = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             OutputStream in = p.getOutputStream()) {
            String line;
            while ((line = r.readLine()) != null) {
                out.append(line).append('\n');
                Matcher m = Pattern.compile("To log in to Claude, open (https://\\S+)").matcher(line);
                if (m.find() && link == null) {
                    link = m.group(1);
                    if (browser != null) {
                        in.write((browser.apply(link) + "\n").getBytes(StandardCharsets.UTF_8));
                        in.flush();
                    }
                }
            }
        }
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "the login ended");
        return new Login(p.exitValue(), out.toString(), Files.readString(err), link);
    }

    record Login(int exitCode, String out, String err, String link) {
    }

    static void nothingStoredAndNoContainerLeft() {
        String list = terok.run("auth", "--list").ok().out();
        assertTrue(list.lines().anyMatch(l -> l.matches("anthropic\\s+none")), "no anthropic credential: " + list);
        assertFalse(terok.run("ps", "-a").ok().out().contains("terok-login"), "no login container left: " + terok.run("ps", "-a").out());
        assertEquals("", Cmd.ok("podman", "--url", "unix://" + podman.socket, "ps", "-a", "-q", "--filter", "label=terok-login").strip());
    }

    @Test
    @Order(1)
    void aRefusedCodeFailsTheLoginNamingTheProviderAndStoresNothing() throws Exception {
        mode = "refuse";
        exchanges.clear();
        Login r = login(ClaudeLoginEndToEndTest::authorize);
        assertNotEquals(0, r.exitCode(), r.out() + r.err());
        assertNotNull(r.link(), "the link was shown: " + r.out() + r.err());
        assertTrue(r.err().contains("the Claude login for provider anthropic failed: Anthropic did not take the code")
                && r.err().contains("That code wasn't accepted") && r.err().contains("nothing stored"), r.err());
        assertEquals(1, exchanges.size(), "the login in its container reached the fake platform.claude.com through shield");
        nothingStoredAndNoContainerLeft();
    }

    @Test
    @Order(2)
    void aLoginNobodyCompletesTimesOutAndStoresNothing() throws Exception {
        mode = "approve";
        Login r = login(null, "--timeout", "15");
        assertNotEquals(0, r.exitCode(), r.out() + r.err());
        assertNotNull(r.link(), "the link was shown while waiting: " + r.out());
        assertTrue(r.err().contains("the Claude login for provider anthropic timed out after 15 s (nobody pasted the code)"), r.err());
        nothingStoredAndNoContainerLeft();
    }

    @Test
    @Order(3)
    void aPastedCodeFromAnotherSignInIsRefusedBeforeItReachesTheLogin() throws Exception {
        exchanges.clear();
        Login r = login(link -> authorize(link).replaceAll("#.*", "#" + "A".repeat(43)), "--timeout", "60");
        assertNotEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("that code is from another sign-in") && r.err().contains("nothing stored"), r.err());
        assertTrue(exchanges.isEmpty(), "nothing was exchanged: " + exchanges);
        nothingStoredAndNoContainerLeft();
    }

    @Test
    @Order(4)
    void theLoginStoresTheTokenAndNothingElseKeepsIt() throws Exception {
        mode = "approve";
        calls.clear();
        Login r = login(ClaudeLoginEndToEndTest::authorize, "--project", PROJECT);
        assertEquals(0, r.exitCode(), r.out() + "\n" + r.err());
        assertTrue(r.link().startsWith("https://claude.com/cai/oauth/authorize?code=true&client_id=" + CLIENT_ID), r.link());
        assertTrue(r.out().contains("logged in: the Claude subscription token is in the vault as provider anthropic"), r.out());
        assertFalse((r.out() + r.err()).contains(TOKEN), "the token is never shown");
        assertTrue(calls.contains("POST platform.claude.com/v1/oauth/token"), calls.toString());
        String list = terok.run("auth", "--list").ok().out();
        assertTrue(list.lines().anyMatch(l -> l.matches("anthropic\\s+subscription\\s+default.*")), list);
        assertFalse(terok.run("ps", "-a").ok().out().contains("terok-login"));
        assertEquals("", Cmd.ok("podman", "--url", "unix://" + podman.socket, "ps", "-a", "-q", "--filter", "label=terok-login").strip());
        // No file of this installation holds it in the clear (the vault's database is encrypted; the services' logs,
        // state and configuration must not have it). The pattern travels by environment, not argv.
        Cmd.Output grep = Cmd.exec(List.of("sh", "-c", "grep -rlF -e \"$T\" \"$D\"; true"), null,
                e -> e.putAll(Map.of("T", TOKEN, "D", terok.home.toString())), null, 120);
        assertEquals("", grep.out().strip(), "files holding the token");
    }

    @Test
    @Order(5)
    void aClaudeTaskHoldsItsPhantomWhileTheModelGetsTheTokenAsBearerWithTheOAuthFlag() {
        Terok.Result r = terok.run("task", "run", PROJECT, "Write ran.txt.", "--agent", "claude");
        assertEquals(0, r.exitCode(), r.out() + "\n" + r.err());
        assertTrue(r.out().contains("Done on the subscription."), r.out());
        List<RecordedRequest> got = model.requests().stream().filter(q -> q.path().startsWith("/v1/messages")).toList();
        assertFalse(got.isEmpty(), "Claude Code's requests reached the model: " + model.requests());
        for (RecordedRequest q : got) {
            assertEquals("Bearer " + TOKEN, q.header("authorization"));
            assertTrue(String.valueOf(q.header("anthropic-beta")).contains("oauth-2025-04-20"), q.header("anthropic-beta"));
            assertEquals(null, q.header("x-api-key"), "no API key header next to the subscription's Bearer");
        }
        Matcher m = Pattern.compile("== task ([0-9a-f]{32}) ").matcher(r.out());
        assertTrue(m.find(), r.out());
        String id = m.group(1);
        // The token travels in two halves (the exec's own environment must not hold it whole).
        int half = TOKEN.length() / 2;
        Terok.Result grep = terok.run("exec", "-e", "A=" + TOKEN.substring(0, half), "-e", "B=" + TOKEN.substring(half), id, "sh", "-c",
                "T=\"$A$B\"; env | grep -cF \"$T\"; grep -rlF \"$T\" /home /etc /tmp /workspace 2>/dev/null; true");
        assertEquals("0", grep.ok().out().strip(), "the real token in the task's environment or files");
        // A subscription's phantom is handed over as one, so Claude Code itself runs as on a subscription (Bearer and
        // the OAuth beta flag, no API-key question); an API key beside it would win and turn it back into x-api-key.
        String env = terok.run("exec", id, "sh", "-c", "echo \"oauth=$CLAUDE_CODE_OAUTH_TOKEN\"; echo \"api=${ANTHROPIC_API_KEY-unset}\"")
                .ok().out();
        assertTrue(env.contains("oauth=terok-p-"), "the phantom in CLAUDE_CODE_OAUTH_TOKEN: " + env.replace(TOKEN, "<REAL>"));
        assertTrue(env.contains("api=unset"), "no ANTHROPIC_API_KEY in a subscription task: " + env.replace(TOKEN, "<REAL>"));
        assertTrue(terok.run("exec", id, "cat", "/workspace/ran.txt").ok().out().contains("claude-ran"), "the tool call ran in the task");
    }
}
