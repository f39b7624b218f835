package io.terok.clearance.domain;

/** How a request ended: what the operator decided and whether shield carried it out. */
public record Outcome(String requestId, Kind kind, String detail) {
    public enum Kind {
        ALLOWED, DENIED, FAILED, DROPPED
    }
}
