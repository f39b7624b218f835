package io.terok.agents.build;

import io.terok.agents.image.BaseImage;
import io.terok.agents.image.Family;
import io.terok.agents.image.Layer;
import io.terok.agents.image.LayerPlan;
import io.terok.agents.image.OsRelease;
import io.terok.common.HostProcess;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link ImageBuilder} on the podman CLI (rootful or rootless, whichever user runs it).
 *
 * <p>Builds run {@code podman build --network=none --pull=never --layers=false --force-rm}: no step may reach a
 * network (L1 only copies what the host staged; L0 installs nothing when the base has the tools), nothing is pulled
 * behind the plan's back, each terok layer is exactly one image layer on its parent, so sizes per layer are exact
 * and no intermediate images pile up, and a failed build leaves no working container behind. A user whose base
 * lacks tools lets L0 and L2 use the network with {@link #networkForL0AndL2(boolean)}; L1 never gets it.
 */
public final class PodmanImageBuilder implements ImageBuilder {
    private static final Pattern STEP = Pattern.compile("^STEP (\\d+)/(\\d+): (.*)$");
    private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");
    /** Output kept of a build for its error message: its end says why it failed. */
    private static final int BUILD_TAIL_BYTES = 16 * 1024;

    private final String podman;
    private Duration buildTimeout = Duration.ofMinutes(30);
    private Duration pullTimeout = Duration.ofMinutes(10);
    private boolean networkForL0AndL2;
    private final Map<String, String> env = new HashMap<>();

    public PodmanImageBuilder(String podman) {
        this.podman = podman;
    }

    public PodmanImageBuilder() {
        this("podman");
    }

    public PodmanImageBuilder buildTimeout(Duration d) {
        this.buildTimeout = d;
        return this;
    }

    /**
     * Podman's own settings for every call ({@code CONTAINERS_STORAGE_CONF}, {@code CONTAINERS_CONF}, ...): a caller
     * that runs in-process on behalf of someone else's environment (the CLI embedded in a test) passes that
     * environment's podman settings, so it reaches the same storage that person's podman does.
     */
    public PodmanImageBuilder env(Map<String, String> vars) {
        vars.forEach((k, v) -> {
            if (k.startsWith("CONTAINERS_") || k.equals("XDG_RUNTIME_DIR") || k.equals("XDG_DATA_HOME")
                    || k.equals("XDG_CONFIG_HOME")) {
                env.put(k, v);
            }
        });
        return this;
    }

    /** Let L0 (installing missing tools) and L2 (the project's snippet) use the network; off by default. */
    public PodmanImageBuilder networkForL0AndL2(boolean allow) {
        this.networkForL0AndL2 = allow;
        return this;
    }

    @Override
    public BaseImage resolveBase(String ref, Family family) {
        String id = imageId(ref);
        if (id == null) {
            HostProcess.Result pull = run(List.of(podman, "pull", "--quiet", ref), pullTimeout);
            if (!pull.ok()) {
                throw ServiceException.precondition("base image " + Printable.line(ref) + " is not here and cannot be"
                        + " pulled: " + pull.firstLine());
            }
            id = imageId(ref);
            if (id == null) {
                throw ServiceException.precondition("base image " + Printable.line(ref)
                        + " still missing after a pull");
            }
        }
        if (family == null) {
            family = OsRelease.parse(osRelease(id)).requireFamily(ref);
        }
        return new BaseImage(ref, id, family);
    }

    /** The image's os-release, read by running {@code cat} in it without a network. */
    private String osRelease(String id) {
        for (String path : List.of("/etc/os-release", "/usr/lib/os-release")) {
            HostProcess.Result r = run(List.of(podman, "run", "--rm", "--network=none", "--pull=never",
                    "--entrypoint", "cat", id, path), Duration.ofMinutes(1));
            if (r.ok()) {
                return r.stdout();
            }
        }
        throw ServiceException.precondition("cannot read /etc/os-release in the base image " + id.substring(0, 12)
                + "; set image.family to deb or rpm");
    }

    @Override
    public BuildRecord build(LayerPlan plan, Path context, BuildProgress progress) {
        Instant start = Instant.now();
        List<BuildRecord.LayerResult> results = new ArrayList<>();
        for (Layer layer : plan.layers()) {
            Instant layerStart = Instant.now();
            if (exists(layer.tag())) {
                progress.step(layer.kind(), "reused " + layer.tag(), Duration.ZERO);
                results.add(new BuildRecord.LayerResult(layer.kind(), layer.tag(), BuildRecord.Status.REUSED,
                        layer.steps(), Duration.between(layerStart, Instant.now())));
                continue;
            }
            progress.step(layer.kind(), "building " + layer.tag() + " (" + layer.steps() + " steps)", Duration.ZERO);
            writeFiles(context, layer);
            List<String> cmd = new ArrayList<>(List.of(podman, "build", "--pull=never", "--layers=false",
                    "--force-rm",
                    "--network=" + (networkForL0AndL2 && layer.kind() != Layer.Kind.L1 ? "private" : "none"),
                    "-t", layer.tag(), "-f", "-"));
            layer.labels().forEach((k, v) -> cmd.add("--label=" + k + "=" + v));
            cmd.add(context.toString());
            HostProcess.Result r;
            List<String> notes = new ArrayList<>();
            try {
                r = HostProcess.of(cmd).env(env).stdin(layer.containerfile()).timeout(buildTimeout).maxOutput(BUILD_TAIL_BYTES)
                        .lines(line -> {
                            Matcher m = STEP.matcher(line);
                            if (m.matches()) {
                                progress.step(layer.kind(), "step " + m.group(1) + "/" + m.group(2) + ": "
                                        + m.group(3), Duration.between(layerStart, Instant.now()));
                            } else if (line.startsWith("terok L0:")) {
                                notes.add(line);
                                progress.step(layer.kind(), line, Duration.between(layerStart, Instant.now()));
                            }
                        }).run();
            } catch (IOException e) {
                throw ServiceException.unavailable("cannot run " + podman + ": " + e.getMessage());
            }
            if (!r.ok()) {
                // L0's own lines say what it tried (which packages were missing), the tail says how it failed.
                throw ServiceException.internal("building " + layer.kind() + " " + layer.tag() + " failed: "
                        + (notes.isEmpty() ? "" : String.join(" | ", notes) + " | ") + describe(r), null);
            }
            Duration took = Duration.between(layerStart, Instant.now());
            progress.step(layer.kind(), "built " + layer.tag(), took);
            results.add(new BuildRecord.LayerResult(layer.kind(), layer.tag(), BuildRecord.Status.BUILT,
                    layer.steps(), took));
        }
        return new BuildRecord(results, Duration.between(start, Instant.now()));
    }

    /** How a build ended: its last few output lines, which say why it failed. */
    private static String describe(HostProcess.Result r) {
        if (r.timedOut()) {
            return "did not finish in time";
        }
        List<String> tail = r.stdout().lines().filter(l -> !l.isBlank()).map(Printable::line).toList();
        return "exit " + r.exitCode() + ": " + String.join(" | ", tail.subList(Math.max(0, tail.size() - 5), tail.size()));
    }

    /** The generated files a layer copies from the context (L0's install script), written if absent. */
    private static void writeFiles(Path context, Layer layer) {
        try {
            for (Map.Entry<String, String> f : layer.files().entrySet()) {
                Path p = context.resolve(f.getKey()).normalize();
                if (!p.startsWith(context)) {
                    throw new IllegalStateException("generated file outside the context: " + f.getKey());
                }
                byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
                if (Files.isRegularFile(p) && Arrays.equals(Files.readAllBytes(p), content)) {
                    continue;
                }
                Files.createDirectories(p.getParent());
                Path tmp = Files.createTempFile(p.getParent(), ".gen-", ".tmp");
                Files.write(tmp, content);
                Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw ServiceException.internal("cannot write the build context in " + context + ": " + e.getMessage(), e);
        }
    }

    public boolean exists(String tag) {
        HostProcess.Result r = run(List.of(podman, "image", "exists", tag), Duration.ofSeconds(30));
        if (r.timedOut() || r.exitCode() > 1) {
            throw ServiceException.unavailable("podman image exists failed: " + r.firstLine());
        }
        return r.exitCode() == 0;
    }

    /** The full id of a local image, or null when there is none by that reference. */
    private String imageId(String ref) {
        HostProcess.Result r = run(List.of(podman, "image", "inspect", "--format", "{{.Id}}", ref),
                Duration.ofSeconds(30));
        if (!r.ok()) {
            return null;
        }
        String id = r.stdout().strip();
        if (!ID.matcher(id).matches()) {
            throw ServiceException.unavailable("podman gave an unexpected image id for " + Printable.line(ref));
        }
        return id;
    }

    @Override
    public List<ImageInfo> list() {
        HostProcess.Result r = run(List.of(podman, "images", "--filter", "label=" + Layer.LABEL_LAYER,
                "--format", "json"), Duration.ofMinutes(1));
        if (!r.ok()) {
            throw ServiceException.unavailable("podman images failed: " + r.firstLine());
        }
        Object doc = json(r.stdout());
        if (!(doc instanceof List<?> items)) {
            return List.of();
        }
        Map<String, Integer> used = containersPerImage();
        List<Raw> raws = new ArrayList<>();
        for (Object item : items) {
            if (item instanceof Map<?, ?> m && m.get("Id") instanceof String id
                    && m.get("Labels") instanceof Map<?, ?> labels
                    && labels.get(Layer.LABEL_LAYER) instanceof String kind && kind.matches("l[012]")) {
                List<String> names = new ArrayList<>();
                if (m.get("Names") instanceof List<?> ns) {
                    ns.forEach(n -> names.add(String.valueOf(n)));
                }
                raws.add(new Raw(id, names, Layer.Kind.valueOf(kind.toUpperCase(Locale.ROOT)),
                        str(labels, Layer.LABEL_PARENT),
                        str(labels, Layer.LABEL_PROJECT), str(labels, Layer.LABEL_AGENTS),
                        str(labels, Layer.LABEL_INPUTS), num(m.get("Size")), num(m.get("Created"))));
            }
        }
        Map<String, Long> sizeByRef = new HashMap<>();
        for (Raw raw : raws) {
            sizeByRef.put(raw.id, raw.size);
            raw.names.forEach(n -> sizeByRef.put(n, raw.size));
        }
        List<ImageInfo> out = new ArrayList<>();
        for (Raw raw : raws) {
            Long parentSize = raw.parent == null ? null : sizeByRef.computeIfAbsent(raw.parent, this::imageSize);
            long own = parentSize == null || parentSize < 0 ? raw.size : Math.max(0, raw.size - parentSize);
            out.add(new ImageInfo(raw.id, raw.names, raw.kind, raw.parent, raw.project, raw.agents, raw.inputs,
                    raw.size, own, raw.created, used.getOrDefault(raw.id, 0)));
        }
        out.sort(Comparator.comparing(ImageInfo::kind).thenComparing(ImageInfo::name));
        return out;
    }

    private record Raw(String id, List<String> names, Layer.Kind kind, String parent, String project, String agents,
                       String inputs, long size, long created) {
    }

    /** Size of an image that is not a terok layer (L0's base), or -1 when it is gone. */
    private long imageSize(String ref) {
        HostProcess.Result r = run(List.of(podman, "image", "inspect", "--format", "{{.Size}}", ref),
                Duration.ofSeconds(30));
        try {
            return r.ok() ? Long.parseLong(r.stdout().strip()) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Image id to number of containers (any state) created from it, from {@code podman ps -a}. */
    private Map<String, Integer> containersPerImage() {
        // --no-trunc: the default short ids would never match an image's full id, and the image would look unused.
        HostProcess.Result r = run(List.of(podman, "ps", "-a", "--no-trunc", "--format", "{{.ImageID}}"),
                Duration.ofMinutes(1));
        if (!r.ok()) {
            // Without this answer cleanup could remove an image a container needs: refuse rather than guess.
            throw ServiceException.unavailable("podman ps -a failed: " + r.firstLine());
        }
        Map<String, Integer> used = new HashMap<>();
        for (String line : r.stdout().split("\n")) {
            String id = line.strip();
            if (!id.isEmpty()) {
                used.merge(id, 1, Integer::sum);
            }
        }
        return used;
    }

    @Override
    public CleanupReport cleanup(Collection<String> keepTags, boolean dryRun) {
        List<ImageInfo> images = list();
        Map<String, ImageInfo> byRef = new HashMap<>();
        for (ImageInfo i : images) {
            byRef.put(i.id(), i);
            i.names().forEach(n -> byRef.put(n, i));
        }
        // Keep what a current plan names or a container uses, then everything those were built on.
        Set<String> keep = new HashSet<>();
        List<ImageInfo> todo = new ArrayList<>();
        for (ImageInfo i : images) {
            boolean named = i.names().stream().anyMatch(keepTags::contains);
            if (named || i.containers() > 0) {
                todo.add(i);
            }
        }
        while (!todo.isEmpty()) {
            ImageInfo i = todo.remove(todo.size() - 1);
            if (keep.add(i.id()) && i.parent() != null && byRef.containsKey(i.parent())) {
                todo.add(byRef.get(i.parent()));
            }
        }
        List<ImageInfo> removed = new ArrayList<>();
        List<ImageInfo> kept = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        // Top layers first: podman refuses to remove an image another image is built on.
        List<ImageInfo> order = new ArrayList<>(images);
        order.sort(Comparator.comparing(ImageInfo::kind).reversed());
        for (ImageInfo i : order) {
            if (keep.contains(i.id())) {
                kept.add(i);
                continue;
            }
            if (!dryRun) {
                HostProcess.Result r = run(List.of(podman, "rmi", i.id()), Duration.ofMinutes(2));
                if (!r.ok()) {
                    failed.add(i.name() + ": " + r.firstLine());
                    continue;
                }
            }
            removed.add(i);
        }
        return new CleanupReport(dryRun, removed, kept, failed);
    }

    private HostProcess.Result run(List<String> cmd, Duration timeout) {
        try {
            return HostProcess.of(cmd).env(env).timeout(timeout).run();
        } catch (IOException e) {
            throw ServiceException.unavailable("cannot run " + podman + ": " + e.getMessage());
        }
    }

    private static Object json(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(64 * 1024 * 1024);
        return new Yaml(new SafeConstructor(options)).load(text);
    }

    private static String str(Map<?, ?> m, String key) {
        return m.get(key) instanceof String s && !s.isEmpty() ? s : null;
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }
}
