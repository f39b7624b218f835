package io.terok.shield.events;

import java.time.Instant;

/**
 * One blocked connection (possibly several folded into it by the de-duplication window); or, with a
 * {@code shieldState} and no destination, a change of the task's shield state; or, with {@code passed}, the first
 * packet the task sent through an Allow with a port (a clearance verdict's effect), logged once per Allow.
 */
public record BlockedEvent(String taskId, String destinationIp, int destinationPort, String protocol, String domain,
                           Instant time, int count, String shieldState, boolean passed) {
    public BlockedEvent(String taskId, String destinationIp, int destinationPort, String protocol, String domain,
                        Instant time, int count) {
        this(taskId, destinationIp, destinationPort, protocol, domain, time, count, "", false);
    }

    public static BlockedEvent stateChange(String taskId, String shieldState, Instant time) {
        return new BlockedEvent(taskId, "", 0, "", "", time, 0, shieldState, false);
    }

    public static BlockedEvent passed(String taskId, String destinationIp, int destinationPort, String protocol,
                                      String domain, Instant time) {
        return new BlockedEvent(taskId, destinationIp, destinationPort, protocol, domain, time, 1, "", true);
    }
}
