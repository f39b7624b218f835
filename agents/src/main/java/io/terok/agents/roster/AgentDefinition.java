package io.terok.agents.roster;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One agent CLI, as data (a YAML file in the roster; see docs/agents.md for the format): how it is installed, which
 * providers it can talk to and how each is pointed at the broker, how it runs headless, continues, runs
 * interactively and reports its version. Built only by {@link RosterParser}, which has validated every field.
 *
 * @param id          roster id ({@code [a-z][a-z0-9-]*}), also the directory name of its staged install
 * @param name        human name ("Claude Code")
 * @param untested    true for definitions nobody could install and run here (PyPI agents): shown, documented, and
 *                    refused by image builds until someone has
 * @param source      where the definition came from ({@code shipped:claude.yaml} or a file path), for messages
 * @param configDirs  writable per-task configuration directories, relative to the home directory; the first is
 *                    {@code {config_dir}}
 * @param env         environment every run gets (telemetry and update checks off), values are templates
 */
public record AgentDefinition(String id, String name, boolean untested, String source, Install install,
                              Map<String, Provider> providers, String defaultProvider, List<String> configDirs,
                              Map<String, Template> env, Commands commands) {

    public AgentDefinition {
        providers = Map.copyOf(providers);
        configDirs = List.copyOf(configDirs);
        env = Map.copyOf(env);
    }

    /** How the agent gets into the image. */
    public enum Kind {
        /** An npm package, staged on the host with npm and copied into L1. */
        NPM,
        /** A Python package from PyPI: defined, but terok cannot stage it yet (PyPI is not reachable here). */
        PYPI
    }

    /** What the agent needs to run. */
    public enum Runtime {
        /** A self-contained binary (shipped inside an npm package): nothing else needed. */
        NATIVE,
        /** A JavaScript entry point: Node.js of at least {@link Install#nodeMajor()} in L0. */
        NODE,
        /** A Python program: python3 in L0 (always there). */
        PYTHON
    }

    /**
     * @param pkg       the package to install ({@code @anthropic-ai/claude-code})
     * @param version   pinned exact version
     * @param entry     the program inside the staged install, relative to its {@code node_modules} directory
     * @param command   the name it gets on PATH in the image
     * @param nodeMajor minimum Node.js major version, for {@link Runtime#NODE}; 0 otherwise
     */
    public record Install(Kind kind, String pkg, String version, Runtime runtime, int nodeMajor, String entry,
                          String command) {
    }

    /**
     * One provider the agent can use and how it is pointed at terok's broker.
     *
     * @param tokenEnv the environment variable that holds the phantom token ({@code {token_env}})
     * @param env      environment to set, values are templates ({@code {broker_url}}, {@code {token}}, ...)
     * @param files    configuration files to write before the agent starts
     */
    public record Provider(String id, String tokenEnv, Map<String, Template> env, List<ConfigFile> files, LoginFile loginFile) {
        public Provider {
            env = Map.copyOf(env);
            files = List.copyOf(files);
        }

        public Provider(String id, String tokenEnv, Map<String, Template> env, List<ConfigFile> files) {
            this(id, tokenEnv, env, files, null);
        }
    }

    /**
     * A login file the agent reads its subscription credential from, written into the running task holding the
     * phantom (it is known only once the vault minted it): {@code shape} names the vendor's format ({@code
     * codex-chatgpt}: Codex's auth.json of a ChatGPT login, {@link io.terok.agents.auth.LoginFiles}), the phantom comes
     * from the provider's token variable and the account the login names from {@code accountEnv} (the vault's route
     * environment sets both).
     */
    public record LoginFile(Template path, String shape, String accountEnv) {
    }

    /**
     * A file written into the container before the agent runs; path and content are templates, values in the
     * content escaped for the file's syntax. Written private (0600): it may carry the phantom token.
     */
    public record ConfigFile(Template path, Template content, Template.Escape escape) {
    }

    /**
     * The agent's command lines, without the program name (that is {@link Install#command()}).
     *
     * @param followup continues the most recent session in the same configuration directory with a new prompt
     */
    public record Commands(ArgsTemplate headless, ArgsTemplate followup, ArgsTemplate interactive,
                           ArgsTemplate version) {
    }

    public Optional<Provider> provider(String providerId) {
        return Optional.ofNullable(providers.get(providerId));
    }

    /** {@code id@version}, the way builds and listings name an agent. */
    public String pinned() {
        return id + "@" + install.version();
    }
}
