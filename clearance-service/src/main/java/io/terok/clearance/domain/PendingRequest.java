package io.terok.clearance.domain;

import java.time.Instant;

/**
 * A blocked destination waiting for the operator. Repeats of the same destination update this one request
 * (count, lastSeen) instead of raising new ones.
 */
public record PendingRequest(String id, String taskId, String taskName, String project, Destination destination,
        String domain, int count, Instant firstSeen, Instant lastSeen) {
    PendingRequest seenAgain(int more, Instant at, String newDomain) {
        return new PendingRequest(id, taskId, taskName, project, destination,
                domain.isEmpty() ? newDomain : domain, count + more, firstSeen, at);
    }
}
