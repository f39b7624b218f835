package io.terok.agents.image;

import java.util.regex.Pattern;

/**
 * The distribution image L0 starts from, resolved: the reference the user configured ({@code image.base_image}),
 * the local image id it points at now (what L0 is built FROM and hashed by, so a re-pulled or rebuilt base gives a
 * new L0) and its package family (detected from its /etc/os-release, or {@code image.family}).
 */
public record BaseImage(String ref, String id, Family family) {
    private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");
    /** An image reference as podman takes it: registry/path:tag or @digest; no spaces or shell syntax. */
    static final Pattern REF = Pattern.compile("[a-z0-9][a-z0-9._/:-]{0,254}(@sha256:[0-9a-f]{64})?");

    public BaseImage {
        if (!REF.matcher(ref).matches()) {
            throw new IllegalArgumentException("not an image reference: " + ref);
        }
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a full image id: " + id);
        }
    }
}
