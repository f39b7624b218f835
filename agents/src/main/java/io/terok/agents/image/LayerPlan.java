package io.terok.agents.image;

import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.stage.NpmPackage;
import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ServiceException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The three layers of a project's agent image, computed from their inputs alone (no podman, no network):
 * <ul>
 *   <li>L0 {@code localhost/terok-l0:<hash>}: the base image plus the tools a coding agent needs, a user with uid
 *       1000, /workspace, and Node.js when a selected agent runs on it;</li>
 *   <li>L1 {@code localhost/terok-l1:<hash>}: the selected agents at their pinned versions, copied from the host's
 *       stage directory, on PATH;</li>
 *   <li>L2 {@code localhost/terok-l2-<project>:<hash>}: the project's own Containerfile snippet.</li>
 * </ul>
 * Each tag is a hash of the layer's Containerfile and generated files, and each Containerfile names its parent
 * by id or tag, so L1's hash covers L0's and L2's covers L1's: the same base and agents give the same L0 and L1
 * tags for every project, and a changed input changes the tags of its layer and those above it only.
 *
 * @param staging the npm packages the build context must hold ({@link io.terok.agents.stage.Stager})
 */
public record LayerPlan(BaseImage base, List<AgentDefinition> agents, String project, Layer l0, Layer l1, Layer l2,
                        List<NpmPackage> staging) {
    /** Bumped when the generated Containerfiles change meaning, so old layers are not reused by mistake. */
    static final String FORMAT = "terok-layers-1";
    public static final String REPO_L0 = "localhost/terok-l0";
    public static final String REPO_L1 = "localhost/terok-l1";
    public static final String REPO_L2_PREFIX = "localhost/terok-l2-";
    /** Where agents live in the image: root-owned, so an agent cannot rewrite itself. */
    public static final String AGENTS_DIR = "/opt/terok/agents";
    /** Project names become part of an image repository name, which is stricter than a project id. */
    private static final Pattern REPO_COMPONENT = Pattern.compile("[a-z0-9]+([._-][a-z0-9]+)*");
    private static final int MAX_SNIPPET = 64 * 1024;

    public LayerPlan {
        agents = List.copyOf(agents);
        staging = List.copyOf(staging);
    }

    public List<Layer> layers() {
        return List.of(l0, l1, l2);
    }

    /** The plan with the default tool set and Node.js. */
    public static LayerPlan create(BaseImage base, List<AgentDefinition> agents, String project, String snippet) {
        return create(base, agents, project, snippet, Tool.DEFAULTS, NodeRuntime.DEFAULT);
    }

    /**
     * @param snippet the project's Containerfile lines for L2 (may be null or empty); FROM is refused, L2 is always
     *                built on this plan's L1
     */
    public static LayerPlan create(BaseImage base, List<AgentDefinition> agents, String project, String snippet,
                                   List<Tool> tools, NodeRuntime node) {
        Ids.project("project", project);
        if (!REPO_COMPONENT.matcher(project).matches()) {
            throw ServiceException.invalid("project", "'" + Printable.line(project, 64)
                    + "' cannot name an image (letters and digits, single . _ - between them)");
        }
        if (agents.isEmpty()) {
            throw ServiceException.invalid("image.agents", "no agents selected");
        }
        List<AgentDefinition> sorted = new ArrayList<>(agents);
        sorted.sort(Comparator.comparing(AgentDefinition::id));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).id().equals(sorted.get(i - 1).id())) {
                throw ServiceException.invalid("image.agents", "agent '" + sorted.get(i).id() + "' selected twice");
            }
        }
        int nodeNeeded = 0;
        for (AgentDefinition a : sorted) {
            if (a.install().kind() != AgentDefinition.Kind.NPM) {
                throw ServiceException.invalid("image.agents", "agent '" + a.id() + "' installs from "
                        + a.install().kind() + ", which terok cannot stage yet");
            }
            if (a.install().runtime() == AgentDefinition.Runtime.NODE) {
                nodeNeeded = Math.max(nodeNeeded, a.install().nodeMajor());
            }
        }
        if (nodeNeeded > node.major()) {
            throw ServiceException.invalid("image.agents", "an agent needs Node.js " + nodeNeeded + ", terok ships "
                    + node.major());
        }
        List<NpmPackage> staging = new ArrayList<>();
        if (nodeNeeded > 0) {
            staging.add(node.pkg());
        }
        for (AgentDefinition a : sorted) {
            staging.add(npm(a));
        }

        Layer l0 = l0(base, tools, nodeNeeded > 0 ? node : null);
        Layer l1 = l1(l0, sorted);
        Layer l2 = l2(l1, project, snippet == null ? "" : snippet);
        return new LayerPlan(base, sorted, project, l0, l1, l2, staging);
    }

    static NpmPackage npm(AgentDefinition a) {
        return new NpmPackage(a.install().pkg(), a.install().version());
    }

    private static Layer l0(BaseImage base, List<Tool> tools, NodeRuntime node) {
        String script = ensureToolsScript(base.family(), tools);
        String scriptPath = "l0/ensure-tools-" + sha256(script).substring(0, 16) + ".sh";
        StringBuilder cf = new StringBuilder();
        cf.append("# terok L0 (generated): ").append(base.ref()).append(", family ").append(base.family().setting())
                .append('\n');
        // FROM the id the plan was hashed with, not the ref: a ref moved since planning cannot slip in unhashed.
        cf.append("FROM ").append(base.id()).append('\n');
        cf.append("USER root\n");
        cf.append("COPY ").append(scriptPath).append(" /usr/local/libexec/terok/ensure-tools.sh\n");
        cf.append("RUN [\"/bin/sh\", \"/usr/local/libexec/terok/ensure-tools.sh\"]\n");
        if (node != null) {
            cf.append("COPY ").append(node.pkg().contextDir()).append("/node_modules/").append(node.entry())
                    .append(" /usr/local/bin/node\n");
        }
        cf.append("WORKDIR /workspace\n");
        Map<String, String> labels = new TreeMap<>();
        labels.put(Layer.LABEL_LAYER, "l0");
        labels.put(Layer.LABEL_PARENT, base.id());
        labels.put(Layer.LABEL_BASE, base.ref());
        return layer(Layer.Kind.L0, REPO_L0, base.id(), cf.toString(), Map.of(scriptPath, script), labels);
    }

    private static Layer l1(Layer l0, List<AgentDefinition> agents) {
        StringBuilder cf = new StringBuilder();
        cf.append("# terok L1 (generated): ").append(agents.stream().map(AgentDefinition::pinned)
                .collect(Collectors.joining(" "))).append('\n');
        cf.append("FROM ").append(l0.tag()).append('\n');
        StringBuilder links = new StringBuilder();
        for (AgentDefinition a : agents) {
            String dir = AGENTS_DIR + "/" + a.id();
            cf.append("COPY ").append(npm(a).contextDir()).append("/node_modules ").append(dir)
                    .append("/node_modules\n");
            if (!links.isEmpty()) {
                links.append(" && ");
            }
            // Every value here passed the roster's strict patterns: no quoting or shell syntax can occur.
            links.append("ln -sf ").append(dir).append("/node_modules/").append(a.install().entry())
                    .append(" /usr/local/bin/").append(a.install().command());
        }
        cf.append("RUN [\"/bin/sh\", \"-c\", \"").append(links).append("\"]\n");
        Map<String, String> labels = new TreeMap<>();
        labels.put(Layer.LABEL_LAYER, "l1");
        labels.put(Layer.LABEL_PARENT, l0.tag());
        labels.put(Layer.LABEL_AGENTS, agents.stream().map(AgentDefinition::pinned).collect(Collectors.joining(",")));
        return layer(Layer.Kind.L1, REPO_L1, "", cf.toString(), Map.of(), labels);
    }

    private static Layer l2(Layer l1, String project, String snippet) {
        if (snippet.length() > MAX_SNIPPET) {
            throw ServiceException.invalid("image.snippet", "longer than " + MAX_SNIPPET + " characters");
        }
        for (String line : snippet.split("\n")) {
            String s = line.strip().toUpperCase(java.util.Locale.ROOT);
            if (s.startsWith("FROM ") || s.equals("FROM")) {
                throw ServiceException.invalid("image.snippet", "FROM is not allowed: the snippet extends the"
                        + " agents layer (" + Printable.line(line.strip(), 80) + ")");
            }
        }
        StringBuilder cf = new StringBuilder();
        cf.append("# terok L2 (generated): project ").append(project).append('\n');
        cf.append("FROM ").append(l1.tag()).append('\n');
        if (!snippet.isBlank()) {
            cf.append(snippet.strip()).append('\n');
        }
        Map<String, String> labels = new TreeMap<>();
        labels.put(Layer.LABEL_LAYER, "l2");
        labels.put(Layer.LABEL_PARENT, l1.tag());
        labels.put(Layer.LABEL_PROJECT, project);
        return layer(Layer.Kind.L2, REPO_L2_PREFIX + project, project, cf.toString(), Map.of(), labels);
    }

    private static Layer layer(Layer.Kind kind, String repo, String extra, String containerfile,
                               Map<String, String> files, Map<String, String> labels) {
        StringBuilder in = new StringBuilder();
        in.append(FORMAT).append('\n').append(kind).append('\n').append(extra).append('\n').append(containerfile);
        new TreeMap<>(files).forEach((k, v) -> in.append("\n--- ").append(k).append('\n').append(v));
        String hash = sha256(in.toString());
        Map<String, String> allLabels = new LinkedHashMap<>(labels);
        allLabels.put(Layer.LABEL_INPUTS, hash);
        return new Layer(kind, repo + ":" + hash.substring(0, 12), hash, labels.get(Layer.LABEL_PARENT),
                containerfile, files, allLabels);
    }

    /** The L0 install step: checks each tool, installs only the missing ones, adds uid 1000 and /workspace. */
    static String ensureToolsScript(Family family, List<Tool> tools) {
        StringBuilder s = new StringBuilder();
        s.append("#!/bin/sh\n");
        s.append("# terok L0 (generated, family ").append(family.setting()).append("): install only the tools the")
                .append(" base lacks.\n");
        s.append("set -eu\n");
        s.append("missing=\"\"\n");
        s.append("have() { case \"$1\" in /*) [ -e \"$1\" ] ;; *) command -v \"$1\" >/dev/null 2>&1 ;; esac; }\n");
        for (Tool t : tools) {
            s.append("have ").append(t.check(family)).append(" || missing=\"$missing ")
                    .append(String.join(" ", t.packages(family))).append("\"\n");
        }
        s.append("if [ -n \"$missing\" ]; then\n");
        s.append("  echo \"terok L0: installing:$missing (needs network access during the build)\"\n");
        if (family == Family.DEB) {
            s.append("  export DEBIAN_FRONTEND=noninteractive\n");
            s.append("  apt-get update\n");
            s.append("  apt-get install -y --no-install-recommends $missing\n");
            s.append("  apt-get clean\n");
            s.append("  rm -rf /var/lib/apt/lists/*\n");
        } else {
            s.append("  pm=dnf; command -v dnf >/dev/null 2>&1 || pm=microdnf\n");
            s.append("  $pm install -y --setopt=install_weak_deps=0 $missing\n");
            s.append("  $pm clean all\n");
        }
        s.append("else\n");
        s.append("  echo \"terok L0: every tool is present, nothing to install\"\n");
        s.append("fi\n");
        // Some bases already have a uid 1000 (Ubuntu's "ubuntu"): keep it, the runtime only needs the uid.
        s.append("if ! getent passwd 1000 >/dev/null; then\n");
        s.append("  getent group 1000 >/dev/null || groupadd -g 1000 dev\n");
        s.append("  useradd -m -u 1000 -g 1000 -s /bin/bash dev\n");
        s.append("fi\n");
        s.append("mkdir -p /workspace\n");
        s.append("chown 1000:1000 /workspace\n");
        return s.toString();
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                    s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
