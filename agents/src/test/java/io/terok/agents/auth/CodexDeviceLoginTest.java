package io.terok.agents.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Roster;
import io.terok.agents.stage.NpmPackage;
import io.terok.agents.stage.Stager;
import io.terok.common.HostProcess;

/**
 * The real Codex CLI (the roster's pinned version, from the agents stage that bin/prepare-host fills) runs its
 * device-code login against a fake issuer of this test's own on loopback, through Codex's own issuer override. It
 * checks the shapes terok depends on against the real program: the endpoints and bodies the CLI sends, the output
 * {@link DeviceCodePrompt} reads, the auth.json {@link CodexAuthJson#read} parses, and that the CLI accepts the
 * phantom auth.json as a ChatGPT login. Under CI=true a missing staged binary fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CodexDeviceLoginTest {
    static final boolean CI = "true".equals(System.getenv("CI"));
    static final Path STAGE = Path.of(Optional.ofNullable(System.getenv("TEROK_AGENTS_STAGE")).filter(s -> !s.isBlank())
            .orElse("/var/cache/terok-ci/agents-stage"));
    static final String ACCOUNT = "3f1c2a9e-0000-4000-8000-00000000abcd";
    static final String REFRESH = "rt-REAL-REFRESH-7f3a9c";

    HttpServer issuer;
    String origin;
    Path codex;
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    final List<String> backend = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger polls = new AtomicInteger();
    volatile boolean refuse;
    final String access = CodexAuthJsonTest.jwt("{\"exp\":" + (Instant.now().getEpochSecond() + 3600)
            + ",\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\"" + ACCOUNT + "\"}}");

    @BeforeAll
    void start() throws IOException {
        AgentDefinition def = Roster.shipped().get("codex");
        Path pkg = new Stager(STAGE).dir(new NpmPackage(def.install().pkg(), def.install().version()));
        codex = pkg.resolve("node_modules").resolve(def.install().entry());
        if (CI) {
            assertTrue(Files.isExecutable(codex), "CI needs the staged Codex binary (bin/prepare-host): " + codex);
        }
        assumeTrue(Files.isExecutable(codex), "needs the staged Codex binary " + codex);
        issuer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        issuer.createContext("/", this::handle);
        issuer.start();
        origin = "http://127.0.0.1:" + issuer.getAddress().getPort();
    }

    @AfterAll
    void stop() {
        if (issuer != null) {
            issuer.stop(0);
        }
    }

    /** The device-code issuer as the real CLI 0.171.0 calls it (paths and bodies measured, see docs/agents.md). */
    void handle(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = x.getRequestURI().getPath();
        requests.add(x.getRequestMethod() + " " + path + " " + body);
        if (path.startsWith("/backend-api/codex/")) {
            // The model backend: record what a task's Codex sends, answer with an error so it stops.
            backend.add(x.getRequestMethod() + " " + path + " authorization=" + x.getRequestHeaders().getFirst("Authorization")
                    + " chatgpt-account-id=" + x.getRequestHeaders().getFirst("ChatGPT-Account-Id"));
            send(x, 400, "{\"error\":{\"message\":\"scripted refusal\",\"type\":\"invalid_request_error\"}}");
        } else if (refuse) {
            send(x, 403, "{\"error\":\"access_denied\"}");
        } else if (path.equals("/api/accounts/deviceauth/usercode")) {
            send(x, 200, "{\"device_auth_id\":\"dev-42\",\"user_code\":\"WXYZ-2345\",\"interval\":\"1\"}");
        } else if (path.equals("/api/accounts/deviceauth/token")) {
            // Pending (the person has not approved yet) once, then approved.
            if (polls.incrementAndGet() < 2) {
                send(x, 404, "{\"error\":\"authorization_pending\"}");
            } else {
                send(x, 200, "{\"authorization_code\":\"authcode-9\",\"code_challenge\":\"ch\",\"code_verifier\":\"verifier-9\"}");
            }
        } else if (path.equals("/oauth/token") && body.contains("code=authcode-9") && body.contains("code_verifier=verifier-9")) {
            String id = CodexAuthJsonTest.jwt("{\"email\":\"person@example.com\",\"https://api.openai.com/auth\":"
                    + "{\"chatgpt_account_id\":\"" + ACCOUNT + "\",\"chatgpt_plan_type\":\"pro\"}}");
            send(x, 200, "{\"id_token\":\"" + id + "\",\"access_token\":\"" + access + "\",\"refresh_token\":\"" + REFRESH
                    + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
        } else {
            send(x, 400, "{\"error\":\"invalid_request\"}");
        }
    }

    static void send(HttpExchange x, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    HostProcess.Result codex(Path home, List<String> lines, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(codex.toString()));
        argv.addAll(List.of(args));
        return HostProcess.of(argv).env("CODEX_HOME", home.toString()).stdin("").timeout(Duration.ofSeconds(60))
                .lines(lines::add).run();
    }

    @Test
    void theRealCliLogsInAgainstTheFakeIssuerAndAcceptsThePhantom() throws IOException {
        Path home = Files.createTempDirectory("codex-login-test");
        Path phantomHome = Files.createTempDirectory("codex-phantom-test");
        try {
            List<String> out = Collections.synchronizedList(new ArrayList<>());
            HostProcess.Result r = codex(home, out, "login", "--device-auth", "--experimental_issuer", origin);
            assertEquals(0, r.exitCode(), r.describeFailure());

            DeviceCodePrompt prompt = new DeviceCodePrompt(origin + "/codex/device");
            out.forEach(prompt::accept);
            assertEquals(Optional.of(new DeviceCodePrompt.Prompt(origin + "/codex/device", "WXYZ-2345")), prompt.prompt(),
                    String.join("\n", out));
            assertTrue(requests.stream().anyMatch(q -> q.startsWith("POST /api/accounts/deviceauth/usercode")
                    && q.contains("\"client_id\":\"app_")), requests.toString());

            CodexAuthJson.ChatGptLogin login = CodexAuthJson.read(Files.readString(home.resolve("auth.json")));
            assertEquals(access, login.accessToken());
            assertEquals(REFRESH, login.refreshToken());
            assertEquals(ACCOUNT, login.accountId());
            assertEquals(Optional.of("pro"), login.planType());

            Files.writeString(phantomHome.resolve("auth.json"), CodexAuthJson.phantom("terok-phantom-0123456789",
                    "terok-phantom-refresh-0123", login.accountId(), login.planType(), Instant.now()));
            List<String> status = new ArrayList<>();
            HostProcess.Result s = codex(phantomHome, status, "login", "status");
            assertEquals(0, s.exitCode(), s.describeFailure());
            assertTrue(String.join("\n", status).contains("Logged in using ChatGPT"), status + s.stderr());

            // With that file and a model provider that asks for the ChatGPT login (what a task's config.toml gets,
            // its base_url the broker's), Codex sends the phantom as Bearer and the account id to {base_url}/responses.
            HostProcess.Result e = codex(phantomHome, new ArrayList<>(), "exec", "--skip-git-repo-check",
                    "-c", "model_provider=\"broker\"",
                    "-c", "model_providers.broker={name=\"broker\",base_url=\"" + origin + "/backend-api/codex\","
                            + "wire_api=\"responses\",requires_openai_auth=true,request_max_retries=0,stream_max_retries=0}",
                    "say hi");
            assertNotEquals(0, e.exitCode());
            assertTrue(backend.contains("POST /backend-api/codex/responses authorization=Bearer terok-phantom-0123456789"
                    + " chatgpt-account-id=" + ACCOUNT), backend + "\n" + e.stderr());
        } finally {
            deleteTree(home);
            deleteTree(phantomHome);
        }
    }

    @Test
    void aRefusingIssuerFailsTheLoginAndWritesNothing() throws IOException {
        Path home = Files.createTempDirectory("codex-refused-test");
        refuse = true;
        try {
            HostProcess.Result r = codex(home, new ArrayList<>(), "login", "--device-auth", "--experimental_issuer", origin);
            assertNotEquals(0, r.exitCode());
            assertFalse(Files.exists(home.resolve("auth.json")));
        } finally {
            refuse = false;
            deleteTree(home);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
