package io.terok.runtime.project;

import io.terok.api.v1.ProjectSettings;
import io.terok.common.HostProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The identity an agent's commits get: the project's {@code git.name}/{@code git.email}, else {@code config.yaml}'s
 * {@code git.human_name}/{@code git.human_email}, else the host's {@code git config user.name/user.email}, else a
 * terok placeholder (commits must never fail for want of an identity). Each half falls back on its own.
 */
public final class GitIdentity {
    public record Resolved(String name, String email, String source) {
    }

    private final Path configFile;
    private final Function<String, String> hostGitConfig;

    public GitIdentity(Path configFile, Function<String, String> hostGitConfig) {
        this.configFile = configFile;
        this.hostGitConfig = hostGitConfig;
    }

    /** The host's global git config through the git CLI; empty when unset or git is missing. */
    public static String hostGit(String key) {
        try {
            HostProcess.Result r = HostProcess.of("git", "config", "--global", "--get", key).timeout(Duration.ofSeconds(5)).run();
            return r.ok() ? r.stdout().strip() : "";
        } catch (IOException e) {
            return "";
        }
    }

    public Resolved resolve(ProjectSettings s) {
        Map<String, Object> git = configYamlGit();
        String[] name = pick(s.getGitName(), text(git.get("human_name")), "user.name", "terok agent");
        String[] email = pick(s.getGitEmail(), text(git.get("human_email")), "user.email", "agent@terok.invalid");
        String source = name[1].equals(email[1]) ? name[1] : "name: " + name[1] + ", email: " + email[1];
        return new Resolved(name[0], email[0], source);
    }

    /** The value and where it came from. */
    private String[] pick(String project, String configYaml, String hostKey, String placeholder) {
        if (!project.isEmpty()) {
            return new String[] {project, "project"};
        }
        if (!configYaml.isEmpty()) {
            return new String[] {configYaml, configFile.getFileName().toString()};
        }
        String host = hostGitConfig.apply(hostKey);
        if (host != null && !host.isEmpty()) {
            return new String[] {host, "host git config"};
        }
        return new String[] {placeholder, "terok default"};
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> configYamlGit() {
        if (!Files.isRegularFile(configFile)) {
            return Map.of();
        }
        try {
            Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(configFile, StandardCharsets.UTF_8));
            if (doc instanceof Map<?, ?> m && m.get("git") instanceof Map<?, ?> g) {
                return (Map<String, Object>) g;
            }
        } catch (IOException | RuntimeException e) {
            // config.yaml is checked by `terok doctor`; a broken one only loses this fallback here.
        }
        return Map.of();
    }

    private static String text(Object o) {
        return o instanceof String s ? s.strip() : "";
    }
}
