package io.terok.clearance.domain;

/** The part of shield a verdict needs: open or keep closed one destination for one task, live. */
public interface FirewallControl {
    /** @throws RuntimeException with a readable message when shield could not apply it */
    void allow(String taskId, String target);

    void deny(String taskId, String target);
}
