package io.terok.runtime.project;

import io.terok.api.v1.ProjectSettings;
import java.util.function.Consumer;

/** The project's agent images; {@link AgentProjectImages} over the agents library, fakes in unit tests. */
public interface ProjectImages {
    /** Checks the settings' agents, default agent and provider against the roster (INVALID naming the field). */
    void check(ProjectSettings s);

    /** The project's image (its L2 tag) as the settings plan it, without building. */
    String plan(ProjectSettings s);

    boolean exists(String image);

    /** Removes the project's own layer (L2) if podman holds it and no container uses it; true when removed. */
    boolean removeProjectLayer(String image);

    /** Builds what is missing (progress lines as it goes) and returns the project's image. */
    String build(ProjectSettings s, Consumer<String> progress);
}
