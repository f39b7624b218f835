package io.terok.agents.build;

import java.util.List;

/**
 * What {@code cleanup} removed (or, in a dry run, would remove), what it kept and why, and what podman refused.
 *
 * @param removed orphaned terok layers: no current plan names them and no container uses them or a layer above them
 * @param kept    every other terok layer
 * @param failed  "name: podman's reason" for removals podman refused
 */
public record CleanupReport(boolean dryRun, List<ImageInfo> removed, List<ImageInfo> kept, List<String> failed) {
    public CleanupReport {
        removed = List.copyOf(removed);
        kept = List.copyOf(kept);
        failed = List.copyOf(failed);
    }
}
