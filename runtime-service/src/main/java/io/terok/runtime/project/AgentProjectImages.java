package io.terok.runtime.project;

import io.terok.agents.AgentImages;
import io.terok.agents.build.PodmanImageBuilder;
import io.terok.agents.image.Family;
import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Roster;
import io.terok.agents.stage.Stager;
import io.terok.api.v1.ProjectSettings;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.common.HostProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@link ProjectImages} over the agents library: the roster is read afresh each time (the operator may have added a
 * definition), images are built with the podman CLI on this host. In the Quadlet deployment runtime-service runs in
 * a container without the podman CLI: there the images are built by {@code terok project init} on the host (see
 * docs/tasks.md).
 */
public final class AgentProjectImages implements ProjectImages {
    private final Path rosterDir;
    private final PodmanImageBuilder podman;
    private final Stager stager;
    private final Function<String, Optional<String>> imageIds;
    /** The last image built per project, and what it was built from: a task start reuses it without planning again. */
    private final Map<String, Built> built = new ConcurrentHashMap<>();

    /** A project image as built: the inputs of its plan (settings and roster files) and the base image's id then. */
    private record Built(String inputs, String baseId, String image) {
    }

    /**
     * @param imageIds an image's full id, or empty when there is none, from a cheap source (podman's REST API over a warm
     *                 connection, a few ms, where the podman CLI costs about 0.1 s a call)
     */
    public AgentProjectImages(Path rosterDir, PodmanImageBuilder podman, Stager stager,
            Function<String, Optional<String>> imageIds) {
        this.rosterDir = rosterDir;
        this.podman = podman;
        this.stager = stager;
        this.imageIds = imageIds;
    }

    public Roster roster() {
        return Roster.load(rosterDir);
    }

    private AgentImages images() {
        return new AgentImages(roster(), podman, stager);
    }

    private static AgentImages.Request request(ProjectSettings s) {
        return new AgentImages.Request(s.getBaseImage(), s.getFamily().isEmpty() ? null : Family.parse(s.getFamily()),
                s.getAgentsList().isEmpty() ? List.of("all") : s.getAgentsList(), s.getName(),
                s.getContainerfileSnippet().isEmpty() ? null : s.getContainerfileSnippet());
    }

    @Override
    public void check(ProjectSettings s) {
        Roster roster = roster();
        List<AgentDefinition> agents;
        try {
            agents = roster.select(s.getAgentsList().isEmpty() ? List.of("all") : s.getAgentsList());
        } catch (ServiceException e) {
            throw ServiceException.invalid("agents.include", e.getMessage());
        }
        if (!s.getDefaultAgent().isEmpty()) {
            AgentDefinition d = agents.stream().filter(a -> a.id().equals(s.getDefaultAgent())).findFirst()
                    .orElseThrow(() -> ServiceException.invalid("agents.default", "'" + Printable.line(s.getDefaultAgent(), 40)
                            + "' is not among the project's agents " + agents.stream().map(AgentDefinition::id).toList()));
            if (!s.getDefaultProvider().isEmpty() && d.provider(s.getDefaultProvider()).isEmpty()) {
                throw ServiceException.invalid("agents.provider", "agent " + d.id() + " cannot use provider '"
                        + Printable.line(s.getDefaultProvider(), 40) + "' (it can use " + d.providers().keySet() + ")");
            }
        }
    }

    @Override
    public String plan(ProjectSettings s) {
        return images().plan(request(s)).l2().tag();
    }

    @Override
    public boolean exists(String image) {
        return podman.exists(image);
    }

    @Override
    public boolean removeProjectLayer(String image) {
        if (!podman.exists(image)) {
            return false;
        }
        try {
            // Without --force: podman refuses while a container (even a stopped one) uses the image.
            HostProcess.Result r = HostProcess.of("podman", "rmi", image).timeout(Duration.ofMinutes(2)).run();
            if (!r.ok()) {
                throw ServiceException.precondition("podman could not remove " + image + ": " + r.firstLine());
            }
            return true;
        } catch (IOException e) {
            throw ServiceException.unavailable("podman cannot be run: " + e.getMessage());
        }
    }

    /**
     * Plans and builds unless this project's image was built here before from the same inputs and both it and its base
     * (by id) are still in podman: the full plan costs about 0.7 s before every task (the base's os-release read by
     * running a container, an inspect and three exists calls through the podman CLI), this check two REST calls. A
     * changed setting, roster file or base image (same reference, new id) takes the full path and builds what changed.
     */
    @Override
    public String build(ProjectSettings s, Consumer<String> progress) {
        AgentImages.Request request = request(s);
        String inputs = request + "\n" + rosterFingerprint();
        Built last = built.get(s.getName());
        if (last != null && last.inputs().equals(inputs)
                && imageIds.apply(request.baseImage()).filter(last.baseId()::equals).isPresent()
                && imageIds.apply(last.image()).isPresent()) {
            progress.accept("image " + last.image() + ": reused (settings, agents and base unchanged)");
            return last.image();
        }
        AgentImages.Result r = images().build(request, progress);
        String baseId = r.plan().base().id();
        built.put(s.getName(), new Built(inputs, baseId.startsWith("sha256:") ? baseId.substring(7) : baseId, r.record().image()));
        return r.record().image();
    }

    /** Names, sizes and modification times of the operator's roster files: an edited definition plans afresh. */
    private String rosterFingerprint() {
        if (!Files.isDirectory(rosterDir)) {
            return "";
        }
        try (Stream<Path> files = Files.list(rosterDir)) {
            return files.sorted().map(f -> {
                try {
                    return f.getFileName() + ":" + Files.size(f) + ":" + Files.getLastModifiedTime(f).toMillis();
                } catch (IOException e) {
                    return f.getFileName() + ":?" + System.nanoTime(); // unreadable now: never equal, so plan afresh
                }
            }).collect(Collectors.joining(","));
        } catch (IOException e) {
            return "?" + System.nanoTime();
        }
    }
}
