package io.terok.clearance.domain;

/** A verdict for something clearance never asked about (unknown request, other task, other destination). */
public class RejectedVerdictException extends RuntimeException {
    public RejectedVerdictException(String message) {
        super(message);
    }
}
