package io.terok.agents.roster;

import io.terok.common.ServiceException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InvocationTest {
    static final Roster ROSTER = Roster.shipped();
    static final String HOSTILE = "it's \"quoted\"; $(rm -rf /) `id` && echo $HOME\nsecond line\n\ttabbed {model}";

    static Invocation.Context ctx(String provider, String model, String prompt) {
        return new Invocation.Context(provider, model, prompt, "http://localhost:9419/", "terok-p-phantom",
                "/home/dev", "/workspace");
    }

    @Test
    void aHostilePromptStaysOneArgumentVerbatim() {
        for (AgentDefinition a : ROSTER.all()) {
            Invocation.Launch l = Invocation.render(a, Invocation.Mode.HEADLESS, ctx(null, "m-1", HOSTILE));
            assertEquals(1, l.argv().stream().filter(HOSTILE::equals).count(), a.id() + ": " + l.argv());
            assertEquals(a.install().command(), l.argv().get(0));
            assertFalse(l.argv().contains("terok-p-phantom"), "the token never goes on the command line");
        }
    }

    @Test
    void claudeHeadlessFollowupAndEnvironment() {
        AgentDefinition claude = ROSTER.get("claude");
        Invocation.Launch l = Invocation.render(claude, Invocation.Mode.HEADLESS, ctx(null, "claude-x", "hi"));
        assertEquals(List.of("claude", "-p", "hi", "--model", "claude-x", "--dangerously-skip-permissions"), l.argv());
        assertEquals("http://localhost:9419", l.env().get("ANTHROPIC_BASE_URL"));
        assertEquals("terok-p-phantom", l.env().get("ANTHROPIC_API_KEY"));
        assertEquals("1", l.env().get("DISABLE_TELEMETRY"));
        assertEquals("/home/dev/.claude", l.env().get("CLAUDE_CONFIG_DIR"));
        assertEquals(List.of("/home/dev/.claude"), l.configDirs());
        assertEquals("/etc/claude-code/managed-settings.json", l.files().get(0).path());
        assertTrue(l.files().get(0).content().contains("\"ANTHROPIC_BASE_URL\": \"http://localhost:9419\""));

        Invocation.Launch f = Invocation.render(claude, Invocation.Mode.FOLLOWUP, ctx(null, null, "more"));
        assertEquals(List.of("claude", "-p", "more", "--continue", "--dangerously-skip-permissions"), f.argv(),
                "no model: the optional --model group is left out whole");
    }

    @Test
    void codexOnAChatGptLoginGetsAModelProviderOfTheLoginAndALoginFileHoldingThePhantom() {
        AgentDefinition codex = ROSTER.get("codex");
        assertEquals("openai", codex.defaultProvider(), "an API key stays the default");
        Invocation.Launch l = Invocation.render(codex, Invocation.Mode.HEADLESS, ctx("chatgpt", null, "fix it"));
        String toml = l.files().get(0).content();
        assertTrue(toml.contains("base_url = \"http://localhost:9419\"") && toml.contains("requires_openai_auth = true"), toml);
        assertFalse(toml.contains("env_key"), "the token comes from auth.json, not the environment: " + toml);
        assertEquals(new Invocation.LoginFile("/home/dev/.codex/auth.json", "codex-chatgpt", "TEROK_CHATGPT_TOKEN",
                "TEROK_CHATGPT_ACCOUNT_ID"), l.loginFile());
        assertEquals(null, Invocation.render(codex, Invocation.Mode.HEADLESS, ctx("openai", null, "x")).loginFile());
    }

    @Test
    void codexGetsItsProviderFromConfigToml() {
        AgentDefinition codex = ROSTER.get("codex");
        Invocation.Launch l = Invocation.render(codex, Invocation.Mode.HEADLESS, ctx("openai", "gpt-5.4", "fix it"));
        assertEquals(List.of("codex", "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
                "--disable", "plugins", "--disable", "apps", "-c", "check_for_update_on_startup=false", "-c",
                "analytics.enabled=false", "--model", "gpt-5.4", "fix it"), l.argv());
        assertEquals("/home/dev/.codex", l.env().get("CODEX_HOME"));
        assertEquals("terok-p-phantom", l.env().get("OPENAI_API_KEY"));
        Invocation.File toml = l.files().get(0);
        assertEquals("/home/dev/.codex/config.toml", toml.path());
        assertTrue(toml.content().contains("base_url = \"http://localhost:9419/v1\""), toml.content());
        assertTrue(toml.content().contains("env_key = \"OPENAI_API_KEY\""));
        assertTrue(toml.content().contains("wire_api = \"responses\""));
        assertEquals(List.of("codex", "exec", "resume", "--last"),
                Invocation.render(codex, Invocation.Mode.FOLLOWUP, ctx(null, null, "again")).argv().subList(0, 4));
    }

    @Test
    void openCodeTakesTheProviderAsAChoice() {
        AgentDefinition oc = ROSTER.get("opencode");
        Invocation.Launch a = Invocation.render(oc, Invocation.Mode.HEADLESS, ctx(null, "claude-x", "p"));
        assertTrue(a.argv().contains("anthropic/claude-x"), a.argv().toString());
        assertEquals("terok-p-phantom", a.env().get("ANTHROPIC_API_KEY"));
        Invocation.Launch o = Invocation.render(oc, Invocation.Mode.HEADLESS, ctx("openai", "gpt-x", "p"));
        assertTrue(o.argv().contains("openai/gpt-x"), o.argv().toString());
        assertEquals("terok-p-phantom", o.env().get("OPENAI_API_KEY"));
        assertTrue(o.files().get(0).content().contains("\"apiKey\": \"{env:OPENAI_API_KEY}\""),
                o.files().get(0).content());
        assertTrue(o.files().get(0).content().contains("\"baseURL\": \"http://localhost:9419/v1\""));
        ServiceException e = assertThrows(ServiceException.class,
                () -> Invocation.render(oc, Invocation.Mode.HEADLESS, ctx("google", "g", "p")));
        assertTrue(e.getMessage().contains("cannot use provider 'google'"), e.getMessage());
    }

    @Test
    void versionNeedsNoBrokerAndAddsNoSecrets() {
        for (AgentDefinition a : ROSTER.all()) {
            Invocation.Launch l = Invocation.render(a, Invocation.Mode.VERSION,
                    new Invocation.Context(null, null, null, null, null, "/home/dev", "/workspace"));
            assertEquals(a.install().command(), l.argv().get(0));
            assertTrue(l.files().isEmpty());
            assertFalse(l.env().containsValue("terok-p-phantom"));
        }
    }

    @Test
    void valuesInConfigFilesAreEscapedForTheirSyntax() {
        String t = Template.parse("model = \"{model}\"").render(Map.of("model", "a\"b\\c\nd"),
                Template.Escape.TOML);
        assertEquals("model = \"a\\\"b\\\\c\\nd\"", t);
    }

    @Test
    void templateSyntaxErrors() {
        assertThrows(IllegalArgumentException.class, () -> Template.parse("{nope}"));
        assertEquals("{\"a\": {x: 1}, \"b\": \"/v1\"}",
                Template.parse("{\"a\": {x: 1}, \"b\": \"{home}\"}").render(Map.of("home", "/v1")));
        assertEquals("{env:KEY}", Template.parse("{env:{token_env}}").render(Map.of("token_env", "KEY")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Template.parse("{model}").render(Map.of()));
        assertEquals("no value for {model}", e.getMessage());
    }
}
