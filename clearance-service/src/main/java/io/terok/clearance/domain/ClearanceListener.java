package io.terok.clearance.domain;

/** Told about every request clearance raises or updates, and every outcome. */
public interface ClearanceListener {
    void requested(PendingRequest request);

    void resolved(PendingRequest request, Outcome outcome);
}
