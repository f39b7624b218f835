package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code terok auth} through the real {@code bin/terok} against the real vault: keys piped in or typed on a real
 * terminal (a pty from {@code script}), refused when the provider or the key's shape is wrong with nothing stored,
 * listed without their values.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthEndToEndTest {
    static final String BODY = "E2eAuthKey0123456789abcdefghijklmnopqrstuvwxyz";
    static final String ANTHROPIC_KEY = "sk-ant-api03-" + BODY;
    static final String OPENAI_KEY = "sk-proj-" + BODY;
    static final String SUBSCRIPTION_TOKEN = "sk-ant-oat01-" + BODY;
    static Terok terok;
    /** Anthropic's API on loopback: what it received (authorization | x-api-key | anthropic-beta). */
    static HttpServer anthropic;
    static final List<String> seen = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void up() throws Exception {
        anthropic = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        anthropic.createContext("/", ex -> {
            seen.add(ex.getRequestHeaders().getFirst("authorization") + " | " + ex.getRequestHeaders().getFirst("x-api-key")
                    + " | " + ex.getRequestHeaders().getFirst("anthropic-beta"));
            byte[] body = "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("content-type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        anthropic.start();
        terok = new Terok(Terok.freshHome("auth", null), null);
        Files.createDirectories(terok.home.resolve("config"));
        Files.writeString(terok.home.resolve("config/config.yaml"), String.join("\n",
                "terok:",
                "  vault:",
                "    kernel-keyring: false",
                "    passphrase-command: printf %s e2e-test-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: http://127.0.0.1:" + anthropic.getAddress().getPort(),
                ""));
        terok.run("services", "up").ok();
    }

    @AfterAll
    static void down() {
        if (terok != null) {
            terok.run("rm", "-f", "auth-claude-sub");
            terok.discard();
        }
        if (anthropic != null) {
            anthropic.stop(0);
        }
    }

    static String credentials() {
        return terok.run("vault", "list").ok().out().lines().filter(l -> l.startsWith("credential "))
                .collect(Collectors.joining("\n"));
    }

    @Test
    @Order(1)
    void anUnknownProviderOrABadKeyIsRefusedNamingTheProviderAndNothingIsStored() {
        Terok.Result unknown = terok.runWithInput(ANTHROPIC_KEY, "auth", "antropic");
        assertEquals(2, unknown.exitCode(), unknown.err());
        assertTrue(unknown.err().contains("unknown provider 'antropic'") && unknown.err().contains("known providers: anthropic, ")
                && unknown.err().contains("openai"), "lists the known ones: " + unknown.err());

        // opencode is an agent that can use several providers: the person has to say which
        Terok.Result opencode = terok.runWithInput(ANTHROPIC_KEY, "auth", "opencode");
        assertEquals(2, opencode.exitCode(), opencode.err());
        assertTrue(opencode.err().contains("agent opencode can use several providers (anthropic, openai): name the one"), opencode.err());

        // an OpenAI key handed to anthropic
        Terok.Result wrong = terok.runWithInput(OPENAI_KEY, "auth", "anthropic");
        assertEquals(1, wrong.exitCode(), wrong.err());
        assertTrue(wrong.err().contains("does not look like a anthropic API key") || wrong.err().contains("anthropic API key: expected"),
                wrong.err());
        assertTrue(wrong.err().contains("nothing stored"), wrong.err());
        assertFalse(wrong.err().contains(BODY), "the key is never echoed: " + wrong.err());

        Terok.Result none = terok.runWithInput("", "auth", "openai");
        assertEquals(1, none.exitCode(), none.err());
        assertTrue(none.err().contains("no openai API key given"), none.err());

        Terok.Result noTerminal = terok.run("auth");
        assertEquals(2, noTerminal.exitCode(), noTerminal.err());
        assertTrue(noTerminal.err().contains("no terminal") && noTerminal.err().contains("terok auth PROVIDER"), noTerminal.err());

        assertEquals("", credentials(), "nothing was stored");
    }

    @Test
    @Order(2)
    void aKeyPipedInUnderTheAgentsNameIsStoredForItsProviderAndListedWithoutItsValue() {
        Terok.Result r = terok.runWithInput(ANTHROPIC_KEY, "auth", "claude");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("stored the anthropic API key in set default"), r.out());
        assertEquals("credential default/anthropic  api_key", credentials());

        Terok.Result list = terok.run("auth", "--list").ok();
        assertTrue(list.out().lines().anyMatch(l -> l.matches("anthropic\\s+api key\\s+default\\s+\\d{4}-.*")), list.out());
        assertTrue(list.out().lines().anyMatch(l -> l.matches("openai\\s+none")), list.out());
        assertFalse(list.out().contains(BODY), "never the value: " + list.out());
    }

    @Test
    @Order(3)
    void onATerminalTheMenuPicksTheProviderAndTheKeyIsReadWithoutEcho() throws Exception {
        // script(1) gives bin/terok a real pty; the test types only after each prompt appears, like a person.
        String command = terok.commandLine("auth").stream().map(a -> "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
        Process p = new ProcessBuilder("script", "-qfec", command, "/dev/null").redirectErrorStream(true).start();
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        try (OutputStream keys = p.getOutputStream(); InputStream screen = p.getInputStream()) {
            awaitText(screen, seen, " or name]: ");
            String menu = seen.toString(StandardCharsets.UTF_8);
            assertTrue(menu.contains("anthropic") && menu.contains("(has api key)"), "the menu shows what is stored: " + menu);
            java.util.regex.Matcher openai = java.util.regex.Pattern.compile("(\\d+)\\) openai").matcher(menu);
            assertTrue(openai.find(), menu);
            keys.write((openai.group(1) + "\n").getBytes(StandardCharsets.UTF_8));
            keys.flush();
            awaitText(screen, seen, "openai API key: ");
            keys.write((OPENAI_KEY + "\n").getBytes(StandardCharsets.UTF_8));
            keys.flush();
            awaitText(screen, seen, "stored the openai API key");
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertFalse(seen.toString(StandardCharsets.UTF_8).contains(BODY), "the typed key is not echoed: " + seen);
        assertEquals(List.of("credential default/anthropic  api_key", "credential default/openai  api_key"),
                credentials().lines().sorted().toList());
    }

    @Test
    @Order(4)
    void aClaudeSubscriptionTokenIsStoredAsOneAndATaskUsesItThroughItsPhantom() {
        Terok.Result apiKey = terok.runWithInput(ANTHROPIC_KEY, "auth", "claude", "--subscription", "--paste-token");
        assertEquals(1, apiKey.exitCode(), apiKey.err());
        assertTrue(apiKey.err().contains("this is an anthropic API key, not a subscription token"), apiKey.err());
        Terok.Result codex = terok.runWithInput("{}", "auth", "codex", "--subscription");
        assertEquals(2, codex.exitCode(), codex.err());
        // Codex's ChatGPT login runs in a container from a project's image; this installation has no project.
        assertTrue(codex.err().contains("the ChatGPT login runs codex from a project's image") && codex.err().contains("nothing stored"),
                codex.err());
        // So does Claude's setup-token login (without --paste-token).
        Terok.Result claude = terok.run("auth", "claude", "--subscription");
        assertEquals(2, claude.exitCode(), claude.err());
        assertTrue(claude.err().contains("the Claude login runs claude from a project's image") && claude.err().contains("nothing stored"),
                claude.err());
        assertFalse(credentials().contains("chatgpt"), credentials());
        assertTrue(credentials().contains("credential default/anthropic  api_key"), "the API key is still the one stored");

        Terok.Result r = terok.runWithInput(SUBSCRIPTION_TOKEN, "auth", "claude", "--subscription", "--paste-token");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(credentials().contains("credential default/anthropic  oauth"), credentials());
        assertTrue(terok.run("auth", "--list").ok().out().lines().anyMatch(l -> l.matches("anthropic\\s+subscription\\s+default.*")));

        // A task: Claude Code's way of calling on a subscription (its phantom in CLAUDE_CODE_OAUTH_TOKEN, sent as Bearer
        // with the OAuth beta flag beside its own); no API key in the task. Anthropic gets the token as a subscription
        // token. The task never holds it.
        String script = "echo KEY=$CLAUDE_CODE_OAUTH_TOKEN API=${ANTHROPIC_API_KEY-unset}; curl -sS --noproxy '*' --max-time 20"
                + " -H \"Authorization: Bearer $CLAUDE_CODE_OAUTH_TOKEN\" -H 'anthropic-beta: claude-code-20250219,oauth-2025-04-20'"
                + " \"$ANTHROPIC_BASE_URL/v1/messages\"; echo;"
                + " grep -rs " + SUBSCRIPTION_TOKEN + " / --exclude-dir=proc --exclude-dir=sys >/dev/null && echo FOUND-TOKEN; true";
        Terok.Result task = terok.run("run", "--rm", "--name", "auth-claude-sub", "--provider", "anthropic", "--no-shield",
                "localhost/terok-agent:latest", "sh", "-c", script);
        assertEquals(0, task.exitCode(), task.out() + task.err());
        assertTrue(task.out().contains("KEY=terok-p-") && task.out().contains("API=unset") && task.out().contains("\"text\":\"hi\""),
                task.out());
        assertFalse(task.out().contains(BODY) || task.out().contains("FOUND-TOKEN"), task.out());
        assertEquals("Bearer " + SUBSCRIPTION_TOKEN + " | null | claude-code-20250219,oauth-2025-04-20", seen.get(seen.size() - 1));
    }

    /** Reads the terminal's output until {@code text} appears (60 s at most). */
    static void awaitText(InputStream in, ByteArrayOutputStream seen, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        byte[] buf = new byte[4096];
        while (!seen.toString(StandardCharsets.UTF_8).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' on the terminal; it shows: " + seen);
            }
            if (in.available() == 0) {
                Thread.sleep(20);
                continue;
            }
            int n = in.read(buf);
            if (n < 0) {
                throw new AssertionError("the terminal closed before '" + text + "'; it showed: " + seen);
            }
            seen.write(buf, 0, n);
        }
    }
}
