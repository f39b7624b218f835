package io.terok.agents.build;

import io.terok.agents.image.BaseImage;
import io.terok.agents.image.Family;
import io.terok.agents.image.LayerPlan;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * Builds and manages terok's layer images. {@link PodmanImageBuilder} is the real one; the interface keeps the
 * CLI and the runtime independent of how images are made.
 */
public interface ImageBuilder {
    /**
     * The base image as it is now: its id (pulled first when the engine lacks it) and package family (from its
     * /etc/os-release unless {@code family} is given).
     */
    BaseImage resolveBase(String ref, Family family);

    /**
     * Builds every layer of {@code plan} whose tag does not exist yet, bottom up, from {@code context} (the stage
     * directory holding the plan's staged packages). Layers whose tag exists are reused untouched.
     */
    BuildRecord build(LayerPlan plan, Path context, BuildProgress progress);

    /** Every terok layer image, L0 first, with sizes and container counts. */
    List<ImageInfo> list();

    /**
     * Removes terok layers that none of {@code keepTags} (the tags of the current plans: every project's L0, L1 and
     * L2) names and no container uses, directly or through a layer above them. {@code dryRun} removes nothing.
     */
    CleanupReport cleanup(Collection<String> keepTags, boolean dryRun);
}
