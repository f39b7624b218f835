package io.terok.agents.roster;

import io.terok.common.ServiceException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RosterTest {
    static final String MINIMAL = """
            id: %s
            name: Test Agent
            install:
              npm: "@example/agent"
              version: "1.2.3"
              runtime: native
              entry: "@example/agent-linux-x64/agent"
              command: agent
            config_dirs: [.agent]
            providers:
              openai:
                token_env: OPENAI_API_KEY
                env:
                  OPENAI_BASE_URL: "{broker_url}/v1"
            commands:
              headless: [run, "{prompt}"]
              followup: [run, --continue, "{prompt}"]
              interactive: []
              version: [--version]
            """;

    @Test
    void shippedRosterHasTheFiveTestedAgentsAndTwoUntested() {
        Roster r = Roster.shipped();
        assertEquals(List.of("aider", "claude", "codex", "copilot", "gemini", "opencode", "vibe"),
                r.all().stream().map(AgentDefinition::id).toList());
        assertEquals(List.of("claude", "codex", "copilot", "gemini", "opencode"),
                r.select(List.of("all")).stream().map(AgentDefinition::id).toList());
        assertTrue(r.get("vibe").untested());
        assertTrue(r.get("aider").untested());
        AgentDefinition claude = r.get("claude");
        assertEquals("@anthropic-ai/claude-code", claude.install().pkg());
        assertEquals("2.1.332", claude.install().version());
        assertEquals(AgentDefinition.Runtime.NATIVE, claude.install().runtime());
        assertEquals("anthropic", claude.defaultProvider());
        assertEquals(AgentDefinition.Runtime.NODE, r.get("gemini").install().runtime());
        assertEquals(20, r.get("gemini").install().nodeMajor());
        assertEquals(java.util.Set.of("anthropic", "openai"), r.get("opencode").providers().keySet());
    }

    @Test
    void selectingAPypiAgentSaysWhy() {
        ServiceException e = assertThrows(ServiceException.class, () -> Roster.shipped().select(List.of("aider")));
        assertTrue(e.getMessage().contains("PYPI"), e.getMessage());
        assertThrows(ServiceException.class, () -> Roster.shipped().select(List.of("nope")));
    }

    @Test
    void userDefinitionsAddAndOverrideById(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("myagent.yaml"), MINIMAL.formatted("myagent"));
        Files.writeString(dir.resolve("claude.yaml"), MINIMAL.formatted("claude").replace("1.2.3", "9.9.9"));
        Roster r = Roster.load(dir);
        assertEquals("9.9.9", r.get("claude").install().version());
        assertEquals(dir.resolve("claude.yaml").toString(), r.get("claude").source());
        assertEquals("1.2.3", r.get("myagent").install().version());
        assertTrue(r.find("codex").isPresent());
        assertEquals(8, r.all().size());
    }

    @Test
    void missingUserDirectoryIsFine(@TempDir Path dir) {
        assertEquals(7, Roster.load(dir.resolve("absent")).all().size());
    }

    private static String error(Path dir, String file, String yaml) throws Exception {
        Files.writeString(dir.resolve(file), yaml);
        ServiceException e = assertThrows(ServiceException.class, () -> Roster.load(dir));
        assertEquals(ServiceException.Kind.INVALID, e.kind());
        assertTrue(e.getMessage().startsWith(dir.resolve(file).toString() + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void validationErrorsNameTheFileAndTheField(@TempDir Path dir) throws Exception {
        String base = MINIMAL.formatted("x");
        assertTrue(error(dir, "x.yaml", base.replace("\"1.2.3\"", "\"^1.2.3\"")).contains("install.version"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("name: Test", "nmae: x\nname: Test"))
                .contains("nmae: unknown key"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("[run, \"{prompt}\"]", "[run, \"{prompt}\", \"{token}\"]"))
                .contains("commands.headless[2]: {token} cannot be used here"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("{broker_url}/v1", "{brokr_url}/v1"))
                .contains("providers.openai.env.OPENAI_BASE_URL: unknown placeholder {brokr_url}"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("[run, \"{prompt}\"]", "[run]"))
                .contains("commands.headless: must pass {prompt}"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("entry: \"@example/agent-linux-x64/agent\"",
                "entry: \"../../bin/sh\"")).contains("install.entry"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("providers:\n", "providers:\n  anthropic:\n"
                + "    token_env: ANTHROPIC_API_KEY\n")).contains("default_provider: required"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("id: x", "id: X")).contains(": id: 'X' does not match"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("id: x", "id: y")).contains("must match the file name"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("command: agent", "command: \"agent; rm -rf /\""))
                .contains("install.command"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", "id: [unclosed").contains(": yaml: "));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("config_dirs: [.agent]", "config_dirs: [../etc]"))
                .contains("config_dirs[0]"));
        Files.delete(dir.resolve("x.yaml"));
        String login = "    token_env: OPENAI_API_KEY\n    login_file:\n      path: \"%s\"\n      shape: %s\n      account_env: ACC\n";
        assertTrue(error(dir, "x.yaml", base.replace("    token_env: OPENAI_API_KEY\n", login.formatted("/etc/passwd", "codex-chatgpt")))
                .contains("providers.openai.login_file.path"));
        Files.delete(dir.resolve("x.yaml"));
        assertTrue(error(dir, "x.yaml", base.replace("    token_env: OPENAI_API_KEY\n", login.formatted("{config_dir}/a.json", "netrc")))
                .contains("providers.openai.login_file.shape: one of [codex-chatgpt]"));
    }

    @Test
    void aDefinitionInTwoFilesIsRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("x.yaml"), MINIMAL.formatted("x"));
        Files.writeString(dir.resolve("x.yml"), MINIMAL.formatted("x"));
        ServiceException e = assertThrows(ServiceException.class, () -> Roster.load(dir));
        assertTrue(e.getMessage().contains("defined twice"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }
}
