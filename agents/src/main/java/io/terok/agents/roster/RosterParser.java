package io.terok.agents.roster;

import io.terok.agents.roster.AgentDefinition.Commands;
import io.terok.agents.roster.AgentDefinition.ConfigFile;
import io.terok.agents.roster.AgentDefinition.Install;
import io.terok.agents.roster.AgentDefinition.Kind;
import io.terok.agents.roster.AgentDefinition.Provider;
import io.terok.agents.roster.AgentDefinition.Runtime;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads one agent definition (YAML) and checks every field, so that everything downstream (Containerfiles, argv,
 * environment, file paths) only ever sees values that passed a strict pattern. Errors name the source file and the
 * field ({@code ~/.config/terok/agents/x.yaml: install.version: ...}) and are {@link ServiceException.Kind#INVALID}.
 * Unknown keys are errors too: a misspelt key would otherwise silently fall back to a default.
 */
public final class RosterParser {
    public static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    /** npm names (optionally scoped) and PyPI names, lower case. */
    static final Pattern PACKAGE = Pattern.compile("(@[a-z0-9][a-z0-9._-]{0,100}/)?[a-z0-9][a-z0-9._-]{0,100}");
    /** An exact version: pinned, never a range or a tag like "latest". */
    static final Pattern VERSION = Pattern.compile("[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}([-+][0-9A-Za-z.-]{1,64})?");
    static final Pattern ENTRY = Pattern.compile("[A-Za-z0-9@._+-]+(/[A-Za-z0-9@._+-]+){0,15}");
    static final Pattern COMMAND = Pattern.compile("[a-z][a-z0-9._-]{0,63}");
    static final Pattern ENV_NAME = Pattern.compile("[A-Z_][A-Z0-9_]{0,127}");
    static final Pattern REL_DIR = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+){0,7}");

    /** Placeholders each part of a definition may use. The token never goes on a command line (ps shows argv). */
    private static final Set<String> ENV_NAMES = Set.of("home", "config_dir", "workspace", "provider", "model");
    private static final Set<String> PROVIDER_NAMES = Set.of("home", "config_dir", "workspace", "provider", "model",
            "broker_url", "token", "token_env");
    private static final Set<String> RUN_NAMES = Set.of("home", "config_dir", "workspace", "provider", "model",
            "broker_url", "token_env", "prompt");
    private static final Set<String> STATIC_NAMES = Set.of("home", "config_dir", "workspace");

    private RosterParser() {
    }

    /** Parses the YAML text of one definition; {@code source} names it in errors. */
    public static AgentDefinition parse(String yamlText, String source) {
        Object doc;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            doc = new Yaml(new SafeConstructor(options)).load(yamlText);
        } catch (YAMLException e) {
            throw fail(source, "yaml", Printable.line(e.getMessage().replace('\n', ' ')));
        }
        return new RosterParser.Reader(source).definition(doc);
    }

    static ServiceException fail(String source, String field, String message) {
        return ServiceException.invalid(source + ": " + field, message);
    }

    /** Walks one document, knowing its source for error messages. */
    private record Reader(String source) {
        AgentDefinition definition(Object doc) {
            Map<String, Object> m = map(doc, "(top level)");
            keys(m, "", "id", "name", "untested", "install", "config_dirs", "env", "providers", "default_provider",
                    "commands");
            String id = matching(m, "", "id", ID, true);
            String name = string(m, "", "name", true);
            boolean untested = bool(m, "", "untested");
            Install install = install(map(required(m, "", "install"), "install"));
            List<String> configDirs = configDirs(m.get("config_dirs"));
            Map<String, Template> env = env(m.get("env"), "env", ENV_NAMES);
            Map<String, Provider> providers = providers(map(required(m, "", "providers"), "providers"));
            String defaultProvider = string(m, "", "default_provider", false);
            if (defaultProvider == null) {
                if (providers.size() != 1) {
                    throw fail(source, "default_provider", "required when an agent has several providers");
                }
                defaultProvider = providers.keySet().iterator().next();
            } else if (!providers.containsKey(defaultProvider)) {
                throw fail(source, "default_provider", "'" + Printable.line(defaultProvider)
                        + "' is not one of its providers " + providers.keySet());
            }
            Commands commands = commands(map(required(m, "", "commands"), "commands"));
            return new AgentDefinition(id, name, untested, source, install, providers, defaultProvider, configDirs,
                    env, commands);
        }

        Install install(Map<String, Object> m) {
            keys(m, "install.", "npm", "pypi", "version", "runtime", "node", "entry", "command");
            boolean npm = m.containsKey("npm");
            if (npm == m.containsKey("pypi")) {
                throw fail(source, "install", "give exactly one of npm: or pypi: (the package to install)");
            }
            Kind kind = npm ? Kind.NPM : Kind.PYPI;
            String pkg = matching(m, "install.", npm ? "npm" : "pypi", PACKAGE, true);
            String version = matching(m, "install.", "version", VERSION, true);
            String runtimeText = string(m, "install.", "runtime", true);
            Runtime runtime;
            try {
                runtime = Runtime.valueOf(runtimeText.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw fail(source, "install.runtime", "'" + Printable.line(runtimeText)
                        + "' is not one of native, node, python");
            }
            int nodeMajor = 0;
            Object node = m.get("node");
            if (runtime == Runtime.NODE) {
                if (!(node instanceof Integer n) || n < 16 || n > 99) {
                    throw fail(source, "install.node", "the minimum Node.js major version (an integer, e.g. 22)");
                }
                nodeMajor = n;
            } else if (node != null) {
                throw fail(source, "install.node", "only for runtime: node");
            }
            if (kind == Kind.NPM && runtime == Runtime.PYTHON || kind == Kind.PYPI && runtime != Runtime.PYTHON) {
                throw fail(source, "install.runtime", runtimeText + " does not fit a " + kind.name().toLowerCase(
                        Locale.ROOT) + " package");
            }
            String entry = matching(m, "install.", "entry", ENTRY, kind == Kind.NPM);
            if (entry != null && List.of(entry.split("/")).stream().anyMatch(s -> s.equals(".") || s.equals(".."))) {
                throw fail(source, "install.entry", "must stay inside the package's node_modules (no . or ..)");
            }
            String command = matching(m, "install.", "command", COMMAND, true);
            return new Install(kind, pkg, version, runtime, nodeMajor, entry, command);
        }

        List<String> configDirs(Object value) {
            if (value == null) {
                throw fail(source, "config_dirs", "required: the agent's writable directories under the home"
                        + " directory, e.g. [.claude]");
            }
            if (!(value instanceof List<?> list) || list.isEmpty()) {
                throw fail(source, "config_dirs", "a non-empty list of directories relative to the home directory");
            }
            List<String> dirs = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String field = "config_dirs[" + i + "]";
                if (!(list.get(i) instanceof String d) || !REL_DIR.matcher(d).matches()
                        || List.of(d.split("/")).stream().anyMatch(s -> s.equals(".") || s.equals(".."))) {
                    throw fail(source, field, "a relative directory like .claude or .config/opencode");
                }
                dirs.add(d);
            }
            return dirs;
        }

        Map<String, Template> env(Object value, String field, Set<String> allowed) {
            if (value == null) {
                return Map.of();
            }
            Map<String, Object> m = map(value, field);
            Map<String, Template> env = new TreeMap<>();
            for (Map.Entry<String, Object> e : m.entrySet()) {
                String f = field + "." + e.getKey();
                if (!ENV_NAME.matcher(e.getKey()).matches()) {
                    throw fail(source, f, "not an environment variable name ([A-Z_][A-Z0-9_]*)");
                }
                env.put(e.getKey(), template(scalar(e.getValue(), f), f, allowed));
            }
            return env;
        }

        Map<String, Provider> providers(Map<String, Object> m) {
            if (m.isEmpty()) {
                throw fail(source, "providers", "at least one provider");
            }
            Map<String, Provider> providers = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : m.entrySet()) {
                String id = e.getKey();
                String f = "providers." + id;
                if (!ID.matcher(id).matches()) {
                    throw fail(source, f, "provider ids match " + ID.pattern());
                }
                Map<String, Object> p = map(e.getValue(), f);
                keys(p, f + ".", "token_env", "env", "files", "login_file");
                String tokenEnv = matching(p, f + ".", "token_env", ENV_NAME, true);
                Map<String, Template> env = env(p.get("env"), f + ".env", PROVIDER_NAMES);
                List<ConfigFile> files = files(p.get("files"), f + ".files");
                providers.put(id, new Provider(id, tokenEnv, env, files, loginFile(p.get("login_file"), f + ".login_file")));
            }
            return providers;
        }

        AgentDefinition.LoginFile loginFile(Object value, String field) {
            if (value == null) {
                return null;
            }
            Map<String, Object> m = map(value, field);
            keys(m, field + ".", "path", "shape", "account_env");
            Template path = template(string(m, field + ".", "path", true), field + ".path", STATIC_NAMES);
            String p = path.source();
            if (!(p.startsWith("{home}/") || p.startsWith("{config_dir}/")) || p.contains("/../") || p.endsWith("/..")
                    || p.contains("/./")) {
                throw fail(source, field + ".path", "a path under {home}/ or {config_dir}/, without . or .. segments");
            }
            String shape = string(m, field + ".", "shape", true);
            if (!io.terok.agents.auth.LoginFiles.SHAPES.contains(shape)) {
                throw fail(source, field + ".shape", "one of " + io.terok.agents.auth.LoginFiles.SHAPES);
            }
            String accountEnv = matching(m, field + ".", "account_env", ENV_NAME, true);
            return new AgentDefinition.LoginFile(path, shape, accountEnv);
        }

        List<ConfigFile> files(Object value, String field) {
            if (value == null) {
                return List.of();
            }
            if (!(value instanceof List<?> list)) {
                throw fail(source, field, "a list of {path, content, escape}");
            }
            List<ConfigFile> files = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String f = field + "[" + i + "]";
                Map<String, Object> m = map(list.get(i), f);
                keys(m, f + ".", "path", "content", "escape");
                Template path = template(string(m, f + ".", "path", true), f + ".path", STATIC_NAMES);
                String p = path.source();
                if (!(p.startsWith("/") || p.startsWith("{home}/") || p.startsWith("{config_dir}/")
                        || p.startsWith("{workspace}/")) || p.contains("/../") || p.endsWith("/..")
                        || p.contains("/./")) {
                    throw fail(source, f + ".path", "an absolute path, or one under {home}/, {config_dir}/ or"
                            + " {workspace}/, without . or .. segments");
                }
                Template content = template(string(m, f + ".", "content", true), f + ".content", PROVIDER_NAMES);
                String escapeText = string(m, f + ".", "escape", false);
                Template.Escape escape;
                try {
                    escape = escapeText == null ? Template.Escape.NONE
                            : Template.Escape.valueOf(escapeText.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw fail(source, f + ".escape", "one of none, toml, json");
                }
                files.add(new ConfigFile(path, content, escape));
            }
            return files;
        }

        Commands commands(Map<String, Object> m) {
            keys(m, "commands.", "headless", "followup", "interactive", "version");
            ArgsTemplate headless = args(required(m, "commands.", "headless"), "commands.headless", RUN_NAMES);
            ArgsTemplate followup = args(required(m, "commands.", "followup"), "commands.followup", RUN_NAMES);
            ArgsTemplate interactive = args(required(m, "commands.", "interactive"), "commands.interactive",
                    RUN_NAMES);
            ArgsTemplate version = args(required(m, "commands.", "version"), "commands.version", STATIC_NAMES);
            for (var c : List.of(Map.entry("headless", headless), Map.entry("followup", followup))) {
                if (!c.getValue().names().contains("prompt")) {
                    throw fail(source, "commands." + c.getKey(), "must pass {prompt}");
                }
            }
            if (interactive.names().contains("prompt")) {
                throw fail(source, "commands.interactive", "takes no {prompt}");
            }
            return new Commands(headless, followup, interactive, version);
        }

        ArgsTemplate args(Object value, String field, Set<String> allowed) {
            if (!(value instanceof List<?> list)) {
                throw fail(source, field, "a list of arguments (a nested list is an optional group)");
            }
            List<ArgsTemplate.Element> elements = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String f = field + "[" + i + "]";
                Object item = list.get(i);
                if (item instanceof List<?> group) {
                    if (group.isEmpty()) {
                        throw fail(source, f, "an empty group");
                    }
                    List<Template> ts = new ArrayList<>();
                    for (int j = 0; j < group.size(); j++) {
                        ts.add(template(scalar(group.get(j), f + "[" + j + "]"), f + "[" + j + "]", allowed));
                    }
                    if (ts.stream().allMatch(t -> t.names().isEmpty())) {
                        throw fail(source, f, "an optional group needs a placeholder that decides it");
                    }
                    elements.add(new ArgsTemplate.Element(ts, true));
                } else {
                    elements.add(new ArgsTemplate.Element(List.of(template(scalar(item, f), f, allowed)), false));
                }
            }
            return new ArgsTemplate(elements);
        }

        Template template(String text, String field, Set<String> allowed) {
            Template t;
            try {
                t = Template.parse(text);
            } catch (IllegalArgumentException e) {
                throw fail(source, field, e.getMessage());
            }
            for (String n : t.names()) {
                if (!allowed.contains(n)) {
                    throw fail(source, field, "{" + n + "} cannot be used here (allowed: "
                            + String.join(", ", allowed.stream().sorted().toList()) + ")");
                }
            }
            return t;
        }

        // --- small typed accessors -------------------------------------------------------------------------

        @SuppressWarnings("unchecked")
        Map<String, Object> map(Object value, String field) {
            if (!(value instanceof Map<?, ?> m)) {
                throw fail(source, field, "expected a mapping");
            }
            for (Object k : m.keySet()) {
                if (!(k instanceof String)) {
                    throw fail(source, field, "keys must be strings, found " + Printable.line(String.valueOf(k)));
                }
            }
            return (Map<String, Object>) m;
        }

        void keys(Map<String, Object> m, String prefix, String... allowed) {
            Set<String> ok = Set.of(allowed);
            for (String k : m.keySet()) {
                if (!ok.contains(k)) {
                    throw fail(source, prefix + Printable.line(k), "unknown key (known: " + String.join(", ", allowed)
                            + ")");
                }
            }
        }

        Object required(Map<String, Object> m, String prefix, String key) {
            Object v = m.get(key);
            if (v == null) {
                throw fail(source, prefix + key, "required");
            }
            return v;
        }

        String scalar(Object v, String field) {
            if (v instanceof String s) {
                return s;
            }
            if (v instanceof Integer || v instanceof Long) {
                return v.toString();
            }
            throw fail(source, field, "expected a string (quote it)");
        }

        String string(Map<String, Object> m, String prefix, String key, boolean required) {
            Object v = m.get(key);
            if (v == null) {
                if (required) {
                    throw fail(source, prefix + key, "required");
                }
                return null;
            }
            String s = scalar(v, prefix + key);
            if (s.isBlank() || s.length() > 4096 && !key.equals("content")) {
                throw fail(source, prefix + key, "empty or too long");
            }
            return s;
        }

        String matching(Map<String, Object> m, String prefix, String key, Pattern p, boolean required) {
            String s = string(m, prefix, key, required);
            if (s != null && !p.matcher(s).matches()) {
                throw fail(source, prefix + key, "'" + Printable.line(s, 80) + "' does not match " + p.pattern());
            }
            return s;
        }

        boolean bool(Map<String, Object> m, String prefix, String key) {
            Object v = m.get(key);
            if (v == null) {
                return false;
            }
            if (!(v instanceof Boolean b)) {
                throw fail(source, prefix + key, "true or false");
            }
            return b;
        }
    }
}
