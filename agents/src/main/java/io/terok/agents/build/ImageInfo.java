package io.terok.agents.build;

import io.terok.agents.image.Layer;

import java.util.List;

/**
 * One terok layer image in podman's storage, from its labels.
 *
 * @param parent     the tag (or, for L0, the base image id) it was built from
 * @param project    the project, for L2
 * @param agents     {@code id@version,...}, for L1
 * @param size       the whole image's size in bytes, parents included
 * @param ownSize    what this layer adds on top of its parent (size minus the parent's size; the whole size when the
 *                   parent is gone)
 * @param containers how many containers (any state) use exactly this image
 */
public record ImageInfo(String id, List<String> names, Layer.Kind kind, String parent, String project, String agents,
                        String inputs, long size, long ownSize, long created, int containers) {
    public ImageInfo {
        names = List.copyOf(names);
    }

    /** Its first name, or the short id when untagged. */
    public String name() {
        return names.isEmpty() ? id.substring(0, 12) : names.get(0);
    }
}
