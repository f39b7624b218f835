package io.terok.shield.events;

import java.time.Instant;

/** One blocked connection (possibly several folded into it by the de-duplication window). */
public record BlockedEvent(String taskId, String destinationIp, int destinationPort, String protocol, String domain,
                           Instant time, int count) {
}
