package io.terok.agents.roster;

import io.terok.agents.roster.AgentDefinition.ConfigFile;
import io.terok.agents.roster.AgentDefinition.Provider;
import io.terok.common.ServiceException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns an agent definition and one task's facts into what the runtime launches: the argument list, the
 * environment and the configuration files to write into the container. Pure: no I/O, so the runtime decides where
 * and how files land (a per-task copy of the project's template configuration directory).
 *
 * <pre>{@code
 * Invocation.Launch l = Invocation.render(roster.get("codex"), Invocation.Mode.HEADLESS,
 *         new Invocation.Context("openai", "gpt-5.4", "fix the tests", "http://localhost:9419/openai",
 *                 phantomToken, "/home/dev", "/workspace"));
 * // l.argv() = [codex, exec, --skip-git-repo-check, ..., fix the tests]; l.env(); l.files()
 * }</pre>
 */
public final class Invocation {
    private Invocation() {
    }

    public enum Mode {
        HEADLESS, FOLLOWUP, INTERACTIVE, VERSION
    }

    /**
     * One task's facts. {@code provider} null means the agent's default; {@code model}, {@code prompt} may be null
     * where the mode does not need them; {@code brokerUrl} and {@code token} may be null only for {@link
     * Mode#VERSION}.
     */
    public record Context(String provider, String model, String prompt, String brokerUrl, String token, String home,
                          String workspace) {
    }

    /** A file to write before the agent starts: absolute path in the container, content; always private (0600). */
    public record File(String path, String content) {
    }

    /**
     * What to run. {@code env} holds the phantom token: pass it to the container by environment (or a file), never
     * by printing it. {@code configDirs} are the absolute writable directories to seed from the project template.
     */
    public record Launch(List<String> argv, Map<String, String> env, List<File> files, List<String> configDirs,
                         LoginFile loginFile) {
        public Launch {
            argv = List.copyOf(argv);
            env = Map.copyOf(env);
            files = List.copyOf(files);
            configDirs = List.copyOf(configDirs);
        }

        public Launch(List<String> argv, Map<String, String> env, List<File> files, List<String> configDirs) {
            this(argv, env, files, configDirs, null);
        }
    }

    /**
     * The provider's login file ({@link AgentDefinition.LoginFile}) with its path rendered: the runtime writes it into
     * the running task from the phantom in {@code tokenEnv} and the account in {@code accountEnv}
     * ({@link io.terok.agents.auth.LoginFiles#render}). Null when the provider has none.
     */
    public record LoginFile(String path, String shape, String tokenEnv, String accountEnv) {
    }

    public static Launch render(AgentDefinition agent, Mode mode, Context ctx) {
        if (ctx.home() == null || !ctx.home().startsWith("/") || ctx.workspace() == null
                || !ctx.workspace().startsWith("/")) {
            throw ServiceException.invalid("home/workspace", "absolute paths in the container are required");
        }
        String providerId = ctx.provider() == null ? agent.defaultProvider() : ctx.provider();
        Provider provider = agent.provider(providerId).orElseThrow(() -> ServiceException.invalid("provider",
                "agent " + agent.id() + " cannot use provider '" + providerId + "' (it can: "
                        + String.join(", ", new TreeMap<>(agent.providers()).keySet()) + ")"));
        String home = stripSlash(ctx.home());
        Map<String, String> values = new HashMap<>();
        values.put("home", home);
        values.put("workspace", stripSlash(ctx.workspace()));
        values.put("config_dir", home + "/" + agent.configDirs().get(0));
        values.put("provider", provider.id());
        values.put("token_env", provider.tokenEnv());
        putIfSet(values, "model", ctx.model());
        putIfSet(values, "prompt", ctx.prompt());
        putIfSet(values, "broker_url", ctx.brokerUrl() == null ? null : stripSlash(ctx.brokerUrl()));
        putIfSet(values, "token", ctx.token());

        List<String> argv = new ArrayList<>();
        argv.add(agent.install().command());
        AgentDefinition.Commands c = agent.commands();
        ArgsTemplate args = switch (mode) {
            case HEADLESS -> c.headless();
            case FOLLOWUP -> c.followup();
            case INTERACTIVE -> c.interactive();
            case VERSION -> c.version();
        };
        try {
            argv.addAll(args.render(values));
            Map<String, String> env = new TreeMap<>();
            agent.env().forEach((k, t) -> env.put(k, t.render(values)));
            List<File> files = new ArrayList<>();
            if (mode != Mode.VERSION) {
                if (ctx.brokerUrl() == null || ctx.token() == null) {
                    throw ServiceException.invalid("broker", "a run needs the broker URL and the phantom token");
                }
                provider.env().forEach((k, t) -> env.put(k, t.render(values)));
                env.put(provider.tokenEnv(), ctx.token());
                for (ConfigFile f : provider.files()) {
                    String path = f.path().render(values);
                    if (!path.startsWith("/") || path.contains("/../") || path.contains("/./")
                            || path.endsWith("/..")) {
                        throw ServiceException.invalid("file path", path + " is not a clean absolute path");
                    }
                    files.add(new File(path, f.content().render(values, f.escape())));
                }
            }
            List<String> dirs = agent.configDirs().stream().map(d -> home + "/" + d).toList();
            AgentDefinition.LoginFile lf = provider.loginFile();
            LoginFile login = lf == null || mode == Mode.VERSION ? null
                    : new LoginFile(lf.path().render(values), lf.shape(), provider.tokenEnv(), lf.accountEnv());
            return new Launch(argv, env, files, dirs, login);
        } catch (IllegalArgumentException e) {
            throw ServiceException.invalid(agent.id() + " " + mode.name().toLowerCase(), e.getMessage());
        }
    }

    private static void putIfSet(Map<String, String> values, String key, String value) {
        if (value != null && !value.isEmpty()) {
            values.put(key, value);
        }
    }

    private static String stripSlash(String s) {
        return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
