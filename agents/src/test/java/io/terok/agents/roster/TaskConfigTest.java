package io.terok.agents.roster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskConfigTest {
    static final Roster ROSTER = Roster.shipped();

    static Invocation.Launch launch(AgentDefinition a) {
        return Invocation.render(a, Invocation.Mode.HEADLESS, new Invocation.Context(null, "m", "p",
                "http://localhost:9419", "terok-p-x", "/home/dev", "/workspace"));
    }

    @Test
    void codexConfigDirIsSeededFromTheTemplateAndGetsItsConfigToml(@TempDir Path tmp) throws Exception {
        Path template = tmp.resolve("template");
        Files.createDirectories(template.resolve(".codex/prompts"));
        Files.writeString(template.resolve(".codex/prompts/review.md"), "review carefully");
        Files.writeString(tmp.resolve("host-secret"), "secret");
        Files.createSymbolicLink(template.resolve(".codex/link"), tmp.resolve("host-secret"));
        Path task = tmp.resolve("task");
        AgentDefinition codex = ROSTER.get("codex");

        List<TaskConfig.Mount> mounts = TaskConfig.seed(codex, launch(codex), "/home/dev", template, task);
        assertEquals(List.of(new TaskConfig.Mount(task.resolve("home/.codex"), "/home/dev/.codex", false)), mounts);
        assertEquals("review carefully", Files.readString(task.resolve("home/.codex/prompts/review.md")));
        assertFalse(Files.exists(task.resolve("home/.codex/link"), java.nio.file.LinkOption.NOFOLLOW_LINKS),
                "symlinks in a template are not followed or copied");
        Path toml = task.resolve("home/.codex/config.toml");
        assertTrue(Files.readString(toml).contains("base_url = \"http://localhost:9419/v1\""));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(toml)));

        // The task's own changes survive a second seeding (a restart); the template is untouched.
        Files.writeString(task.resolve("home/.codex/history.jsonl"), "{}");
        TaskConfig.seed(codex, launch(codex), "/home/dev", template, task);
        assertTrue(Files.exists(task.resolve("home/.codex/history.jsonl")));
        assertFalse(Files.exists(template.resolve(".codex/config.toml")));
    }

    @Test
    void filesOutsideHomeBecomeReadOnlyMounts(@TempDir Path tmp) throws Exception {
        AgentDefinition claude = ROSTER.get("claude");
        List<TaskConfig.Mount> mounts = TaskConfig.seed(claude, launch(claude), "/home/dev", null, tmp);
        assertEquals(new TaskConfig.Mount(tmp.resolve("home/.claude"), "/home/dev/.claude", false), mounts.get(0));
        TaskConfig.Mount settings = mounts.get(1);
        assertEquals("/etc/claude-code/managed-settings.json", settings.container());
        assertTrue(settings.readOnly());
        assertTrue(Files.readString(settings.host()).contains("\"ANTHROPIC_BASE_URL\": \"http://localhost:9419\""));
    }
}
