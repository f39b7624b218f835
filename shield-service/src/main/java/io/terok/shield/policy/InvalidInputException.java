package io.terok.shield.policy;

/** Input that must not reach nft: the message names the field and the offending value. Maps to INVALID_ARGUMENT. */
public class InvalidInputException extends RuntimeException {
    public InvalidInputException(String message) {
        super(message);
    }
}
