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

    public AgentProjectImages(Path rosterDir, PodmanImageBuilder podman, Stager stager) {
        this.rosterDir = rosterDir;
        this.podman = podman;
        this.stager = stager;
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

    @Override
    public String build(ProjectSettings s, Consumer<String> progress) {
        return images().build(request(s), progress).record().image();
    }
}
