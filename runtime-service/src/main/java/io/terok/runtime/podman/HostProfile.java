package io.terok.runtime.podman;

import io.terok.common.TasksCgroup;

/**
 * What the podman we talk to can do, read once from its API: it decides the user namespace (keep-id
 * rootless, auto as root), the network backend (pasta for rootless podman 5+, slirp4netns otherwise) and whether
 * task containers can go under terok's own weighted parent cgroup ({@link TasksCgroup}).
 *
 * @param cgroupManager podman's {@code host.cgroupManager}: cgroupfs or systemd
 * @param cpuController podman's {@code host.cgroupControllers} lists {@code cpu}
 */
public record HostProfile(boolean rootless, int podmanMajor, String podmanVersion, boolean initAvailable, String cgroupVersion,
        String cgroupManager, boolean cpuController) {
    /** Address at which pasta maps the host's loopback into the container (--map-host-loopback). */
    public static final String PASTA_HOST_LOOPBACK = "169.254.1.2";
    /** slirp4netns with allow_host_loopback=true forwards this address to the host's 127.0.0.1. */
    public static final String SLIRP_HOST_LOOPBACK = "10.0.2.2";

    /**
     * Pasta is podman 5's rootless default, and rootless only: rootful podman 5 refuses it ("pasta networking is only
     * supported for rootless mode"), so root keeps slirp4netns (which podman 5 still ships) as on podman 4.
     */
    public boolean pasta() {
        return rootless && podmanMajor >= 5;
    }

    /** Where a task container reaches services listening on the host's loopback. */
    public String hostLoopbackAddress() {
        return pasta() ? PASTA_HOST_LOOPBACK : SLIRP_HOST_LOOPBACK;
    }

    /** What {@link TasksCgroup} needs to know of this podman. */
    public TasksCgroup.Host cgroups() {
        return new TasksCgroup.Host(rootless, cgroupManager, cgroupVersion, cpuController);
    }
}
