package io.terok.runtime.project;

import io.terok.api.v1.ProjectSettings;
import io.terok.api.v1.ResourceLimits;
import io.terok.api.v1.SecurityMode;
import io.terok.common.Ids;
import io.terok.common.Printable;
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
    /** Roster ids (the agents module's rule) or "all". */
    static final Pattern AGENT = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    static final Pattern PROVIDER = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    /** Model names as agents spell them: "claude-sonnet-4-5", "gpt-5.1-codex", "openai/gpt-4o", "model:tag". */
    static final Pattern MODEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}");
    /** An image reference: [registry[:port]/]path[:tag][@sha256:...], lower case repository. */
    static final Pattern IMAGE = Pattern.compile(
            "([a-z0-9.-]+(:[0-9]{1,5})?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?");
    static final Pattern PROFILE = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    /** A domain name, an IPv4/IPv6 address or a CIDR; shield checks it again before it reaches nft. */
    static final Pattern ALLOW = Pattern.compile("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}|[0-9.]{7,15}(/[0-9]{1,2})?|[0-9a-f:]{2,39}(/[0-9]{1,3})?");
    static final Pattern ENV_NAME = Pattern.compile("[A-Z_][A-Z0-9_]{0,127}");
    static final Pattern GPU = Pattern.compile("[a-z0-9.-]+/[a-z0-9.-]+=[A-Za-z0-9_.:-]+");
    static final Pattern MEMORY = Pattern.compile("([0-9]{1,12})([kmg]?)b?");
    static final Pattern EMAIL = Pattern.compile("[^\\s<>@]{1,64}@[^\\s<>@]{1,255}");

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
                if (!Ids.isBranch(branch)) {
                    throw fail(source, "upstream.branch", "'" + Printable.line(branch, 80) + "' is not a valid git branch name");
                }
                b.setDefaultBranch(branch.startsWith("refs/heads/") ? branch.substring(11) : branch);
            }
            if (m.containsKey("image")) {
                Map<String, Object> im = map(m.get("image"), "image");
                keys(im, "image.", "base", "family", "snippet");
                b.setBaseImage(opt(matching(im, "image.base", IMAGE)));
                String family = string(im, "image.family", false);
                if (family != null) {
                    if (!family.equals("deb") && !family.equals("rpm")) {
                        throw fail(source, "image.family", "'" + Printable.line(family, 40) + "' is not deb or rpm");
                    }
                    b.setFamily(family);
                }
                String snippet = string(im, "image.snippet", false);
                if (snippet != null) {
                    b.setContainerfileSnippet(snippet(snippet));
                }
            }
            if (m.containsKey("agents")) {
                Map<String, Object> ag = map(m.get("agents"), "agents");
                keys(ag, "agents.", "include", "default", "provider", "model");
                List<String> include = list(ag.get("include"), "agents.include", AGENT);
                if (include.contains("all") && include.size() > 1) {
                    throw fail(source, "agents.include", "'all' stands alone (it means every tested agent)");
                }
                b.addAllAgents(include);
                b.setDefaultAgent(opt(matching(ag, "agents.default", AGENT)));
                b.setDefaultProvider(opt(matching(ag, "agents.provider", PROVIDER)));
                b.setDefaultModel(opt(matching(ag, "agents.model", MODEL)));
                if (!b.getDefaultAgent().isEmpty() && !include.isEmpty() && !include.contains("all")
                        && !include.contains(b.getDefaultAgent())) {
                    throw fail(source, "agents.default", "'" + b.getDefaultAgent() + "' is not in agents.include " + include);
                }
            }
            if (m.containsKey("shield")) {
                Map<String, Object> sh = map(m.get("shield"), "shield");
                keys(sh, "shield.", "profiles", "allow");
                b.addAllShieldProfiles(list(sh.get("profiles"), "shield.profiles", PROFILE));
                b.addAllShieldAllow(list(sh.get("allow"), "shield.allow", ALLOW));
            }
            if (m.containsKey("resources")) {
                Map<String, Object> r = map(m.get("resources"), "resources");
                keys(r, "resources.", "memory", "cpus", "pids", "gpus");
                ResourceLimits.Builder l = ResourceLimits.newBuilder();
                if (r.containsKey("memory")) {
                    Matcher mm = MEMORY.matcher(String.valueOf(r.get("memory")).toLowerCase(Locale.ROOT));
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
                b.addAllGpus(list(r.get("gpus"), "resources.gpus", GPU));
            }
            if (m.containsKey("env")) {
                Map<String, Object> env = map(m.get("env"), "env");
                for (Map.Entry<String, Object> e : new TreeMap<>(env).entrySet()) {
                    String field = "env." + Printable.line(e.getKey(), 64);
                    if (!ENV_NAME.matcher(e.getKey()).matches()) {
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
                    if (gn.isBlank() || gn.length() > 128 || gn.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '<' || c == '>')) {
                        throw fail(source, "git.name", "a person's name: 1-128 printable characters, no < or >");
                    }
                    b.setGitName(gn);
                }
                String ge = string(g, "git.email", false);
                if (ge != null) {
                    if (!EMAIL.matcher(ge).matches() || ge.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                        throw fail(source, "git.email", "'" + Printable.line(ge, 80) + "' is not an e-mail address");
                    }
                    b.setGitEmail(ge);
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

        /** The same URL forms the gate takes; the gate checks them again (and reaches the upstream). */
        String upstreamUrl(String url) {
            boolean scpLike = url.matches("[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\\s:]+");
            boolean known = url.startsWith("file:///") || url.startsWith("https://") || url.startsWith("ssh://")
                    || url.startsWith("http://") || scpLike;
            if (!known || url.length() > 2048 || url.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
                throw fail(source, "upstream.url", "'" + Printable.line(url, 120)
                        + "' is not a file:///, https://, ssh:// or user@host:path URL");
            }
            return url;
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
            if (v != null && !p.matcher(v).matches()) {
                throw fail(source, field, "'" + Printable.line(v, 80) + "' does not match " + p.pattern());
            }
            return v;
        }

        List<String> list(Object v, String field, Pattern p) {
            if (v == null) {
                return List.of();
            }
            List<?> in = v instanceof List<?> l ? l : v instanceof String str ? List.of(str.split(",")) : null;
            if (in == null) {
                throw fail(source, field, "expected a list");
            }
            List<String> out = new ArrayList<>();
            for (Object o : in) {
                String s = String.valueOf(o).strip();
                if (!p.matcher(s).matches()) {
                    throw fail(source, field, "'" + Printable.line(s, 80) + "' does not match " + p.pattern());
                }
                if (!out.contains(s)) {
                    out.add(s);
                }
            }
            return out;
        }

        static String opt(String s) {
            return s == null ? "" : s;
        }
    }
}
