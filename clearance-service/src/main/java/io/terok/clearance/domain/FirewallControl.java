package io.terok.clearance.domain;

/** The part of shield a verdict needs: open or keep closed one destination for one task, live. */
public interface FirewallControl {
    /**
     * Opens exactly {@code ip} port {@code port}/{@code protocol} (never the whole address); shield refuses host
     * loopback, link-local and metadata addresses.
     *
     * @throws RuntimeException with a readable message when shield could not apply it
     */
    void allow(String taskId, String ip, int port, String protocol);

    void deny(String taskId, String target);
}
