package io.terok.runtime.podman;

/**
 * What the podman we talk to can do, read once from its API: it decides the user namespace (keep-id
 * rootless, auto as root) and the network backend (slirp4netns on podman 4, pasta on 5+).
 */
public record HostProfile(boolean rootless, int podmanMajor, String podmanVersion, boolean initAvailable, String cgroupVersion) {
    public boolean pasta() {
        return podmanMajor >= 5;
    }
}
