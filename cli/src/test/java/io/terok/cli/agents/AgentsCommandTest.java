package io.terok.cli.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.cli.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code terok agents} through the real CLI: the shipped roster, and a broken user definition named in the error. */
class AgentsCommandTest {
    @TempDir
    Path config;

    @Test
    void listsEveryShippedAgentWithItsPinnedVersion() {
        Cli r = Cli.run(Map.of("TEROK_CONFIG_DIR", config.toString()), "agents");
        assertEquals(0, r.exit(), r::toString);
        for (String id : new String[] {"claude", "codex", "copilot", "opencode", "gemini"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(id + " ")), id + " listed: " + r.out());
        }
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("aider ") && l.contains("untested")), r.out());
    }

    @Test
    void aBrokenUserDefinitionIsAnErrorNamingItsFile() throws Exception {
        Files.createDirectories(config.resolve("agents"));
        Files.writeString(config.resolve("agents/mine.yaml"), "id: mine\nname: Mine\ninstall:\n  npm: \"x\"\n  version: \"^1\"\n");
        Cli r = Cli.run(Map.of("TEROK_CONFIG_DIR", config.toString()), "agents");
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().contains("mine.yaml"), r.err());
    }
}
