package io.terok.runtime.podman;

import java.time.Instant;
import java.util.Map;

/** The parts of podman's container inspection that terok uses. */
public record ContainerInfo(String id, String name, String image, String status, int exitCode, Instant createdAt,
        Instant startedAt, Instant finishedAt, int pid, Map<String, String> labels) {
    public boolean running() {
        return "running".equals(status);
    }
}
