package io.terok.runtime.podman;

import java.time.Instant;
import java.util.Map;

/** The parts of podman's container inspection that terok uses. */
public record ContainerInfo(String id, String name, String image, String status, int exitCode, Instant createdAt,
        Instant startedAt, Instant finishedAt, int pid, Map<String, String> labels) {
    public boolean running() {
        return "running".equals(status);
    }

    /** Its process has ended and nothing will be added to its output unless it is started again. */
    public boolean ended() {
        return "exited".equals(status) || "stopped".equals(status);
    }
}
