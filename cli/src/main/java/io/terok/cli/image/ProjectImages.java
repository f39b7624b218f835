package io.terok.cli.image;

import io.terok.agents.build.ImageInfo;
import io.terok.agents.image.Layer;
import io.terok.cli.core.CliException;
import io.terok.common.Ids;
import io.terok.common.Printable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which project each terok layer belongs to, and which layers are current: the one place the image verbs ask, so it
 * can switch to the project service once projects exist there.
 *
 * <p>Until then the layers' own labels decide: an L2 names its project ({@code io.terok.project}) and its parent L1,
 * an L1 its L0. A project's <em>current</em> image is its newest L2; older L2s of the same project are what a
 * rebuild left behind. When {@code <config dir>/projects/} exists (projects as {@code NAME.yaml}), a project without
 * its file is gone and so are its images. L0 and L1 belong to every project whose L2 is built on them.
 */
public final class ProjectImages {
    private final List<ImageInfo> images;
    private final Map<String, ImageInfo> byRef = new HashMap<>();
    private final Set<String> knownProjects;

    /**
     * @param projectsDir {@code <config dir>/projects}; when it does not exist every labelled project counts as live
     */
    public ProjectImages(List<ImageInfo> images, Path projectsDir) {
        this.images = List.copyOf(images);
        for (ImageInfo i : images) {
            byRef.put(i.id(), i);
            i.names().forEach(n -> byRef.put(n, i));
        }
        this.knownProjects = Files.isDirectory(projectsDir) ? projectFiles(projectsDir) : null;
    }

    private static Set<String> projectFiles(Path dir) {
        Set<String> out = new TreeSet<>();
        try (var s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml"))
                    .forEach(n -> out.add(n.substring(0, n.length() - ".yaml".length())));
        } catch (java.io.IOException e) {
            throw new CliException("cannot read the projects in " + dir + ": " + e.getMessage(), null);
        }
        return out;
    }

    /** Whether the project still exists (always true until projects are kept as files). */
    public boolean live(String project) {
        return project != null && (knownProjects == null || knownProjects.contains(project));
    }

    /** Every project an L2 names, sorted. */
    public Set<String> projects() {
        Set<String> out = new TreeSet<>();
        images.stream().filter(i -> i.kind() == Layer.Kind.L2 && i.project() != null).forEach(i -> out.add(i.project()));
        return out;
    }

    /** The project's L2s, newest first, each followed by the layers it is built on (no layer twice). */
    public List<ImageInfo> of(String project) {
        if (!Ids.isProject(project)) {
            throw CliException.badValue("PROJECT", Printable.line(project), "a project name: lower-case letters, digits, '_', '.', '-'");
        }
        Set<ImageInfo> out = new LinkedHashSet<>();
        images.stream().filter(i -> i.kind() == Layer.Kind.L2 && project.equals(i.project()))
                .sorted(Comparator.comparingLong(ImageInfo::created).reversed())
                .forEach(i -> out.addAll(chain(i)));
        if (out.isEmpty()) {
            throw new CliException("no image of project " + Printable.line(project) + " here",
                    projects().isEmpty() ? "no project image has been built yet"
                            : "projects with images: " + String.join(", ", projects()));
        }
        return new ArrayList<>(out);
    }

    /** The layer and every layer below it that is still here. */
    public List<ImageInfo> chain(ImageInfo top) {
        List<ImageInfo> out = new ArrayList<>();
        for (ImageInfo i = top; i != null && !out.contains(i); i = i.parent() == null ? null : byRef.get(i.parent())) {
            out.add(i);
        }
        return out;
    }

    /** The tags cleanup keeps: the newest L2 of every live project (the layers under them are kept with them). */
    public Collection<String> currentTags() {
        Map<String, ImageInfo> newest = new HashMap<>();
        for (ImageInfo i : images) {
            if (i.kind() == Layer.Kind.L2 && live(i.project())) {
                newest.merge(i.project(), i, (a, b) -> a.created() >= b.created() ? a : b);
            }
        }
        List<String> tags = new ArrayList<>();
        newest.values().forEach(i -> tags.addAll(i.names()));
        return tags;
    }

    /** The projects whose current image is built on this layer (for an L2: its own project). */
    public Set<String> usersOf(ImageInfo layer) {
        Set<String> out = new TreeSet<>();
        for (ImageInfo i : images) {
            if (i.kind() == Layer.Kind.L2 && i.project() != null && chain(i).contains(layer)) {
                out.add(i.project());
            }
        }
        return out;
    }
}
