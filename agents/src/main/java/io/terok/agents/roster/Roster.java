package io.terok.agents.roster;

import io.terok.common.Printable;
import io.terok.common.ServiceException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The agents terok knows: the definitions shipped in this jar, then the user's own ({@code <config dir>/agents/
 * *.yaml}), which add agents or replace a shipped one whole, by id. Every definition is validated when the roster
 * loads, so a broken file is reported once, by name, before anything is built or run.
 */
public final class Roster {
    /** Shipped definitions live here; {@code index} lists them (a jar's resources cannot be listed portably). */
    static final String RESOURCES = "/io/terok/agents/roster/";
    /** User definition files bigger than this are refused: a definition is a page of YAML. */
    private static final long MAX_FILE = 256 * 1024;

    private final Map<String, AgentDefinition> agents;

    private Roster(Map<String, AgentDefinition> agents) {
        this.agents = agents;
    }

    /** Only the shipped definitions. */
    public static Roster shipped() {
        return load(null);
    }

    /**
     * The shipped definitions, overridden and extended by {@code userDir}'s {@code *.yaml}/{@code *.yml} files
     * (each named after its id). A missing directory is fine; {@code null} means none.
     */
    public static Roster load(Path userDir) {
        Map<String, AgentDefinition> agents = new TreeMap<>();
        for (String file : shippedFiles()) {
            AgentDefinition d = RosterParser.parse(resource(file), "shipped:" + file);
            checkFileName(d, file, "shipped:" + file);
            agents.put(d.id(), d);
        }
        if (userDir != null && Files.isDirectory(userDir)) {
            for (Path file : userFiles(userDir)) {
                String source = file.toString();
                String text;
                try {
                    if (Files.size(file) > MAX_FILE) {
                        throw RosterParser.fail(source, "(file)", "larger than " + MAX_FILE + " bytes");
                    }
                    text = Files.readString(file, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw RosterParser.fail(source, "(file)", "cannot read: " + Printable.line(e.getMessage()));
                }
                AgentDefinition d = RosterParser.parse(text, source);
                checkFileName(d, file.getFileName().toString(), source);
                agents.put(d.id(), d);
            }
        }
        return new Roster(Map.copyOf(agents));
    }

    /** Every agent, by id. */
    public List<AgentDefinition> all() {
        return agents.values().stream().sorted((a, b) -> a.id().compareTo(b.id())).toList();
    }

    public Optional<AgentDefinition> find(String id) {
        return Optional.ofNullable(agents.get(id));
    }

    /** The agent {@code id}, or a NOT_FOUND error listing the known ones. */
    public AgentDefinition get(String id) {
        AgentDefinition d = agents.get(id);
        if (d == null) {
            throw ServiceException.notFound("no agent '" + Printable.line(id, 40) + "' in the roster (known: "
                    + String.join(", ", new TreeMap<>(agents).keySet()) + ")");
        }
        return d;
    }

    /**
     * The agents an image gets, from the project's {@code image.agents} setting: {@code ["all"]} (or empty) means
     * every agent that can be installed (tested, from npm); a list names them. Naming one that cannot be staged
     * (PyPI) is an error that says why, rather than an image silently without it.
     */
    public List<AgentDefinition> select(Collection<String> ids) {
        if (ids.isEmpty() || ids.size() == 1 && ids.contains("all")) {
            return all().stream().filter(d -> !d.untested() && d.install().kind() == AgentDefinition.Kind.NPM)
                    .toList();
        }
        Map<String, AgentDefinition> chosen = new TreeMap<>();
        for (String id : ids) {
            if (id.equals("all")) {
                throw ServiceException.invalid("image.agents", "'all' cannot be combined with names");
            }
            AgentDefinition d = get(id);
            if (d.install().kind() != AgentDefinition.Kind.NPM) {
                throw ServiceException.invalid("image.agents", "agent '" + d.id() + "' installs from "
                        + d.install().kind().name() + ", which terok cannot stage into an image yet (docs/agents.md)");
            }
            chosen.put(d.id(), d);
        }
        return List.copyOf(chosen.values());
    }

    private static void checkFileName(AgentDefinition d, String fileName, String source) {
        String base = fileName.replaceFirst("\\.ya?ml$", "");
        if (!base.equals(d.id())) {
            throw RosterParser.fail(source, "id", "'" + d.id() + "' must match the file name (" + d.id() + ".yaml)");
        }
    }

    private static List<String> shippedFiles() {
        List<String> files = new ArrayList<>();
        for (String line : resource("index").split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                files.add(line.strip());
            }
        }
        return files;
    }

    private static String resource(String name) {
        try (InputStream in = Roster.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCES + name + " (a broken build)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> userFiles(Path dir) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.{yaml,yml}")) {
            for (Path p : ds) {
                if (Files.isRegularFile(p)) {
                    files.add(p);
                }
            }
        } catch (IOException e) {
            throw ServiceException.invalid(dir.toString(), "cannot list: " + Printable.line(e.getMessage()));
        }
        files.sort(null);
        // x.yaml and x.yml both defining x would make the winner depend on sort order: refuse.
        for (int i = 1; i < files.size(); i++) {
            String a = files.get(i - 1).getFileName().toString().replaceFirst("\\.ya?ml$", "");
            String b = files.get(i).getFileName().toString().replaceFirst("\\.ya?ml$", "");
            if (a.equals(b)) {
                throw RosterParser.fail(files.get(i).toString(), "(file)", "agent '" + a + "' is defined twice ("
                        + files.get(i - 1).getFileName() + " and " + files.get(i).getFileName() + ")");
            }
        }
        return files;
    }
}
