package io.terok.runtime.project;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.ProjectSettings;
import io.terok.api.v1.SecurityMode;
import io.terok.common.ServiceException;
import org.junit.jupiter.api.Test;

class ProjectFileTest {
    static final String FULL = """
            upstream: {url: https://example.com/repo.git, branch: main}
            image:
              base: localhost/terok-agent-base:bookworm
              family: deb
              snippet: |
                RUN true
            agents: {include: [claude, codex], default: claude, provider: anthropic, model: claude-sonnet-4-5}
            shield: {profiles: [dev], allow: [example.com, 192.0.2.0/24]}
            resources: {memory: 4g, cpus: 1.5, pids: 1024, gpus: [nvidia.com/gpu=all]}
            env: {FOO: bar, N: 3}
            git: {name: Ada Agent, email: ada@example.com}
            security: online
            """;

    @Test
    void everyFieldIsReadAndRendersBackToTheSameSettings() {
        ProjectSettings s = ProjectFile.parse(FULL, "demo", "demo.yaml");
        assertEquals("https://example.com/repo.git", s.getUpstreamUrl());
        assertEquals("main", s.getDefaultBranch());
        assertEquals("localhost/terok-agent-base:bookworm", s.getBaseImage());
        assertEquals(java.util.List.of("claude", "codex"), s.getAgentsList());
        assertEquals("claude-sonnet-4-5", s.getDefaultModel());
        assertEquals(4L << 30, s.getLimits().getMemoryBytes());
        assertEquals(1.5, s.getLimits().getCpus());
        assertEquals("3", s.getEnvOrThrow("N"));
        assertEquals(SecurityMode.SECURITY_MODE_ONLINE, s.getSecurityMode());
        assertEquals("RUN true\n", s.getContainerfileSnippet());
        assertEquals(s, ProjectFile.parse(ProjectFile.render(s), "demo", "rendered"));
    }

    @Test
    void defaultsAreGatekeepingAndEmpty() {
        ProjectSettings s = ProjectFile.parse("upstream: {url: 'file:///srv/repo'}\n", "demo", "demo.yaml");
        assertEquals(SecurityMode.SECURITY_MODE_UNSPECIFIED, s.getSecurityMode());
        assertTrue(s.getAgentsList().isEmpty());
    }

    private static String error(String yaml) {
        return assertThrows(ServiceException.class, () -> ProjectFile.parse(yaml, "demo", "/cfg/projects/demo.yaml")).getMessage();
    }

    @Test
    void errorsNameTheFileAndTheField() {
        assertTrue(error("upstream: {url: 'file:///r'}\nagent: [x]\n").startsWith("/cfg/projects/demo.yaml: agent:"), "unknown key");
        assertTrue(error("upstream: {url: 'file:///r', brnch: x}\n").contains("upstream.brnch: unknown key"));
        assertTrue(error("image: {base: x}\n").contains("upstream: required"));
        assertTrue(error("upstream: {url: 'ftp://x/r'}\n").contains("upstream.url:"));
        assertTrue(error("upstream: {url: 'file:///r', branch: 'a..b'}\n").contains("upstream.branch:"));
        assertTrue(error("upstream: {url: 'file:///r'}\nimage: {base: 'Bad Image'}\n").contains("image.base:"));
        assertTrue(error("upstream: {url: 'file:///r'}\nimage: {snippet: 'FROM evil'}\n").contains("image.snippet: FROM"));
        assertTrue(error("upstream: {url: 'file:///r'}\nagents: {include: [all, codex]}\n").contains("agents.include:"));
        assertTrue(error("upstream: {url: 'file:///r'}\nagents: {include: [codex], default: claude}\n").contains("agents.default:"));
        assertTrue(error("upstream: {url: 'file:///r'}\nshield: {allow: ['1.2.3.4; drop']}\n").contains("shield.allow:"));
        assertTrue(error("upstream: {url: 'file:///r'}\nresources: {memory: lots}\n").contains("resources.memory:"));
        assertTrue(error("upstream: {url: 'file:///r'}\nenv: {TEROK_X: y}\n").contains("env.TEROK_X:"));
        assertTrue(error("upstream: {url: 'file:///r'}\nenv: {lower: y}\n").contains("env.lower:"));
        assertTrue(error("upstream: {url: 'file:///r'}\ngit: {email: 'not-mail'}\n").contains("git.email:"));
        assertTrue(error("upstream: {url: 'file:///r'}\nsecurity: yolo\n").contains("security:"));
        assertTrue(error("upstream: [\n").contains("yaml:"));
    }

    @Test
    void theProjectNameIsChecked() {
        ServiceException e = assertThrows(ServiceException.class, () -> ProjectFile.parse("upstream: {url: 'file:///r'}", "Bad/Name", "x"));
        assertTrue(e.getMessage().startsWith("project:"), e.getMessage());
    }
}
