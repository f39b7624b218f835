package io.terok.runtime.project;

import io.terok.api.v1.ProjectSettings;
import io.terok.common.Ids;
import io.terok.common.PrivateFiles;
import io.terok.common.ServiceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** The project files in {@code <config dir>/projects/}: one {@code NAME.yaml} each, the operator may edit them. */
public final class ProjectStore {
    private final Path dir;

    public ProjectStore(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path file(String project) {
        return dir.resolve(Ids.project("project", project) + ".yaml");
    }

    /** The project's settings; empty when it has no file. A file that does not parse is an INVALID error naming it. */
    public Optional<ProjectSettings> find(String project) {
        Path f = file(project);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(ProjectFile.parse(Files.readString(f, StandardCharsets.UTF_8), project, f.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    public ProjectSettings get(String project) {
        return find(project).orElseThrow(() -> ServiceException.notFound(
                "no project " + project + " (no " + file(project) + "; create it with `terok project init " + project + " --upstream URL`)"));
    }

    /** One result per file: its settings, or the error that explains why it does not parse. */
    public record Entry(String name, Path file, ProjectSettings settings, String error) {
    }

    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String fn = f.getFileName().toString();
                if (!fn.endsWith(".yaml")) {
                    continue;
                }
                String name = fn.substring(0, fn.length() - 5);
                if (!Ids.isProject(name)) {
                    out.add(new Entry(name, f, null, f + ": the file name is not a valid project name"));
                    continue;
                }
                try {
                    out.add(new Entry(name, f, find(name).orElseThrow(), null));
                } catch (RuntimeException e) {
                    out.add(new Entry(name, f, null, e.getMessage()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Writes the file atomically (private: it may hold environment values). */
    public Path write(ProjectSettings s) {
        PrivateFiles.directory(dir);
        Path f = file(s.getName());
        PrivateFiles.write(f, ProjectFile.render(s));
        return f;
    }

    public boolean delete(String project) {
        try {
            return Files.deleteIfExists(file(project));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file(project) + ": " + e.getMessage(), e);
        }
    }
}
