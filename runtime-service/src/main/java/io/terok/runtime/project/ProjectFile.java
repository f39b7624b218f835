package io.terok.runtime.project;

import io.terok.api.v1.ProjectSettings;
import io.terok.api.v1.ResourceLimits;
import io.terok.api.v1.SecurityMode;
import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ProjectRules;
import io.terok.common.ServiceException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * A project's YAML file ({@code <config dir>/projects/NAME.yaml}) to {@link ProjectSettings} and back. Every field is
 * checked here, so everything downstream (gate, image build, the task's container) only sees values that passed a
 * strict rule. Errors are {@link ServiceException.Kind#INVALID} naming the file and the field as the YAML spells it
 * ({@code /etc/terok/projects/x.yaml: upstream.url: ...}); unknown keys are errors, so a misspelt key never falls back
 * to a default silently.
 *
 * <pre>
 * upstream: {url: https://example.com/repo.git, branch: main}
 * image: {base: localhost/terok-agent-base:bookworm, family: deb, snippet: "RUN ..."}
 * agents: {include: [claude, codex], default: claude, provider: anthropic, model: sonnet}
 * shield: {profiles: [dev], allow: [example.com, 192.0.2.0/24]}
 * resources: {memory: 4g, cpus: 2, pids: 1024, gpus: [nvidia.com/gpu=all]}
 * env: {KEY: value}
 * git: {name: Agent, email: agent@example.com}
 * security: gatekeeping     # or online
 * </pre>
 */
public final class ProjectFile {
    private ProjectFile() {
    }

    /** Parses one project file; {@code source} names it in errors and {@code name} is the project (its file name). */
    public static ProjectSettings parse(String yamlText, String name, String source) {
        Ids.project("project", name);
        Object doc;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            doc = new Yaml(new SafeConstructor(options)).load(yamlText);
        } catch (YAMLException e) {
            throw fail(source, "yaml", Printable.line(e.getMessage().replace('\n', ' ')));
        }
        return new Reader(source).settings(name, doc);
    }

    /** Checks settings that did not come from a file (an Init request) with the same rules; {@code source} names them. */
    public static ProjectSettings check(ProjectSettings s, String source) {
        return parse(render(s), s.getName(), source);
    }

    /** The YAML text of a project file, in the order of the format above; empty settings are left out. */
    public static String render(ProjectSettings s) {
        Map<String, Object> doc = new LinkedHashMap<>();
        Map<String, Object> upstream = new LinkedHashMap<>();
        put(upstream, "url", s.getUpstreamUrl());
        put(upstream, "branch", s.getDefaultBranch());
        put(doc, "upstream", upstream);
        Map<String, Object> image = new LinkedHashMap<>();
        put(image, "base", s.getBaseImage());
        put(image, "family", s.getFamily());
        put(image, "snippet", s.getContainerfileSnippet());
        put(doc, "image", image);
        Map<String, Object> agents = new LinkedHashMap<>();
        put(agents, "include", new ArrayList<>(s.getAgentsList()));
        put(agents, "default", s.getDefaultAgent());
        put(agents, "provider", s.getDefaultProvider());
        put(agents, "model", s.getDefaultModel());
        put(doc, "agents", agents);
        Map<String, Object> shield = new LinkedHashMap<>();
        put(shield, "profiles", new ArrayList<>(s.getShieldProfilesList()));
        put(shield, "allow", new ArrayList<>(s.getShieldAllowList()));
        put(doc, "shield", shield);
        Map<String, Object> res = new LinkedHashMap<>();
        if (s.hasLimits()) {
            if (s.getLimits().getMemoryBytes() > 0) {
                res.put("memory", memory(s.getLimits().getMemoryBytes()));
            }
            if (s.getLimits().getCpus() > 0) {
                res.put("cpus", s.getLimits().getCpus());
            }
            if (s.getLimits().getPids() > 0) {
                res.put("pids", s.getLimits().getPids());
            }
        }
        put(res, "gpus", new ArrayList<>(s.getGpusList()));
        put(doc, "resources", res);
        put(doc, "env", new TreeMap<>(s.getEnvMap()));
        Map<String, Object> git = new LinkedHashMap<>();
        put(git, "name", s.getGitName());
        put(git, "email", s.getGitEmail());
        put(doc, "git", git);
        if (s.getSecurityMode() == SecurityMode.SECURITY_MODE_ONLINE) {
            doc.put("security", "online");
        }
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        o.setDefaultScalarStyle(DumperOptions.ScalarStyle.PLAIN);
        o.setWidth(120);
        return "# terok project " + s.getName() + " (terok project show " + s.getName() + "; see docs/tasks.md)\n"
                + new Yaml(o).dump(doc);
    }

    private static String memory(long bytes) {
        for (String[] u : new String[][] {{"g", "1073741824"}, {"m", "1048576"}, {"k", "1024"}}) {
            long f = Long.parseLong(u[1]);
            if (bytes % f == 0) {
                return bytes / f + u[0];
            }
        }
        return Long.toString(bytes);
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        boolean empty = value == null || value instanceof String str && str.isEmpty()
                || value instanceof List<?> l && l.isEmpty() || value instanceof Map<?, ?> mm && mm.isEmpty();
        if (!empty) {
            m.put(key, value);
        }
    }

    static ServiceException fail(String source, String field, String message) {
        return ServiceException.invalid(source + ": " + field, message);
    }

    private record Reader(String source) {
        ProjectSettings settings(String name, Object doc) {
            Map<String, Object> m = doc == null ? Map.of() : map(doc, "(top level)");
            keys(m, "", "upstream", "image", "agents", "shield", "resources", "env", "git", "security");
            ProjectSettings.Builder b = ProjectSettings.newBuilder().setName(name);
            Map<String, Object> up = map(required(m, "upstream"), "upstream");
            keys(up, "upstream.", "url", "branch");
            b.setUpstreamUrl(upstreamUrl(string(up, "upstream.url", true)));
            String branch = string(up, "upstream.branch", false);
            if (branch != null) {
                b.setDefaultBranch(ProjectRules.branch(source + ": upstream.branch", branch));
            }
            if (m.containsKey("image")) {
                Map<String, Object> im = map(m.get("image"), "image");
                keys(im, "image.", "base", "family", "snippet");
                b.setBaseImage(opt(matching(im, "image.base", ProjectRules.IMAGE)));
                String family = string(im, "image.family", false);
                if (family != null) {
                    b.setFamily(ProjectRules.family(source + ": image.family", family));
                }
                String snippet = string(im, "image.snippet", false);
                if (snippet != null) {
                    b.setContainerfileSnippet(snippet(snippet));
                }
            }
            if (m.containsKey("agents")) {
                Map<String, Object> ag = map(m.get("agents"), "agents");
                keys(ag, "agents.", "include", "default", "provider", "model");
                List<String> include = list(ag.get("include"), "agents.include", ProjectRules.AGENT);
                if (include.contains("all") && include.size() > 1) {
                    throw fail(source, "agents.include", "'all' stands alone (it means every tested agent)");
                }
                b.addAllAgents(include);
                b.setDefaultAgent(opt(matching(ag, "agents.default", ProjectRules.AGENT)));
                b.setDefaultProvider(opt(matching(ag, "agents.provider", ProjectRules.PROVIDER)));
                b.setDefaultModel(opt(matching(ag, "agents.model", ProjectRules.MODEL)));
                if (!b.getDefaultAgent().isEmpty() && !include.isEmpty() && !include.contains("all")
                        && !include.contains(b.getDefaultAgent())) {
                    throw fail(source, "agents.default", "'" + b.getDefaultAgent() + "' is not in agents.include " + include);
                }
            }
            if (m.containsKey("shield")) {
                Map<String, Object> sh = map(m.get("shield"), "shield");
                keys(sh, "shield.", "profiles", "allow");
                b.addAllShieldProfiles(list(sh.get("profiles"), "shield.profiles", ProjectRules.PROFILE));
                b.addAllShieldAllow(list(sh.get("allow"), "shield.allow", ProjectRules.ALLOW));
            }
            if (m.containsKey("resources")) {
                Map<String, Object> r = map(m.get("resources"), "resources");
                keys(r, "resources.", "memory", "cpus", "pids", "gpus");
                ResourceLimits.Builder l = ResourceLimits.newBuilder();
                if (r.containsKey("memory")) {
                    Matcher mm = ProjectRules.MEMORY.matcher(String.valueOf(r.get("memory")).toLowerCase(Locale.ROOT));
                    if (!mm.matches()) {
                        throw fail(source, "resources.memory", "'" + Printable.line(String.valueOf(r.get("memory")), 40)
                                + "' is not a size such as 512m or 4g");
                    }
                    long unit = switch (mm.group(2)) {
                        case "k" -> 1024L;
                        case "m" -> 1024L * 1024;
                        case "g" -> 1024L * 1024 * 1024;
                        default -> 1L;
                    };
                    long bytes = Long.parseLong(mm.group(1)) * unit;
                    if (bytes < 6L * 1024 * 1024) {
                        throw fail(source, "resources.memory", "at least 6m (podman's minimum)");
                    }
                    l.setMemoryBytes(bytes);
                }
                if (r.containsKey("cpus")) {
                    if (!(r.get("cpus") instanceof Number n) || n.doubleValue() <= 0 || n.doubleValue() > 1024) {
                        throw fail(source, "resources.cpus", "a positive number of CPUs, e.g. 2 or 0.5");
                    }
                    l.setCpus(n.doubleValue());
                }
                if (r.containsKey("pids")) {
                    if (!(r.get("pids") instanceof Integer n) || n < 16) {
                        throw fail(source, "resources.pids", "an integer of at least 16");
                    }
                    l.setPids(n);
                }
                if (l.getMemoryBytes() > 0 || l.getCpus() > 0 || l.getPids() > 0) {
                    b.setLimits(l);
                }
                b.addAllGpus(list(r.get("gpus"), "resources.gpus", ProjectRules.GPU));
            }
            if (m.containsKey("env")) {
                Map<String, Object> env = map(m.get("env"), "env");
                for (Map.Entry<String, Object> e : new TreeMap<>(env).entrySet()) {
                    String field = "env." + Printable.line(e.getKey(), 64);
                    if (!ProjectRules.ENV_NAME.matcher(e.getKey()).matches()) {
                        throw fail(source, field, "not a variable name ([A-Z_][A-Z0-9_]*)");
                    }
                    if (e.getKey().startsWith("TEROK_")) {
                        throw fail(source, field, "TEROK_* variables are terok's own");
                    }
                    Object v = e.getValue();
                    if (!(v instanceof String || v instanceof Number || v instanceof Boolean)) {
                        throw fail(source, field, "a text value");
                    }
                    String value = String.valueOf(v);
                    if (value.indexOf('\0') >= 0 || value.length() > 8192) {
                        throw fail(source, field, "no NUL characters, at most 8192 characters");
                    }
                    b.putEnv(e.getKey(), value);
                }
            }
            if (m.containsKey("git")) {
                Map<String, Object> g = map(m.get("git"), "git");
                keys(g, "git.", "name", "email");
                String gn = string(g, "git.name", false);
                if (gn != null) {
                    b.setGitName(ProjectRules.gitName(source + ": git.name", gn));
                }
                String ge = string(g, "git.email", false);
                if (ge != null) {
                    b.setGitEmail(ProjectRules.gitEmail(source + ": git.email", ge));
                }
            }
            if (m.containsKey("security")) {
                String mode = String.valueOf(m.get("security"));
                b.setSecurityMode(switch (mode) {
                    case "gatekeeping" -> SecurityMode.SECURITY_MODE_GATEKEEPING;
                    case "online" -> SecurityMode.SECURITY_MODE_ONLINE;
                    default -> throw fail(source, "security", "'" + Printable.line(mode, 40) + "' is not gatekeeping or online");
                });
            }
            return b.build();
        }

        String upstreamUrl(String url) {
            return ProjectRules.upstreamUrl(source + ": upstream.url", url);
        }

        String snippet(String s) {
            if (s.length() > 16384 || s.indexOf('\0') >= 0) {
                throw fail(source, "image.snippet", "at most 16384 characters, no NUL");
            }
            for (String line : s.split("\n")) {
                if (line.strip().toUpperCase(Locale.ROOT).startsWith("FROM")) {
                    throw fail(source, "image.snippet", "FROM is not allowed (the project's layer is built on the agents' layer)");
                }
            }
            return s;
        }

        void keys(Map<String, Object> m, String prefix, String... allowed) {
            Set<String> ok = Set.of(allowed);
            for (String k : m.keySet()) {
                if (!ok.contains(k)) {
                    throw fail(source, prefix + Printable.line(k, 64), "unknown key (known: " + String.join(", ", allowed) + ")");
                }
            }
        }

        Object required(Map<String, Object> m, String field) {
            Object v = m.get(field);
            if (v == null) {
                throw fail(source, field, "required");
            }
            return v;
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> map(Object v, String field) {
            if (!(v instanceof Map<?, ?> mm)) {
                throw fail(source, field, "expected a mapping");
            }
            for (Object k : mm.keySet()) {
                if (!(k instanceof String)) {
                    throw fail(source, field, "keys must be text");
                }
            }
            return (Map<String, Object>) v;
        }

        String string(Map<String, Object> m, String field, boolean required) {
            String key = field.substring(field.lastIndexOf('.') + 1);
            Object v = m.get(key);
            if (v == null || v instanceof String str && str.isEmpty()) {
                if (required) {
                    throw fail(source, field, "required");
                }
                return null;
            }
            if (!(v instanceof String str)) {
                throw fail(source, field, "expected text");
            }
            return str;
        }

        String matching(Map<String, Object> m, String field, Pattern p) {
            String v = string(m, field, false);
            return v == null ? null : ProjectRules.matching(source + ": " + field, v, p);
        }

        List<String> list(Object v, String field, Pattern p) {
            if (v == null) {
                return List.of();
            }
            List<?> in = v instanceof List<?> l ? l : v instanceof String str ? List.of(str.split(",")) : null;
            if (in == null) {
                throw fail(source, field, "expected a list");
            }
            return ProjectRules.list(source + ": " + field, in, p);
        }

        static String opt(String s) {
            return s == null ? "" : s;
        }
    }
}
