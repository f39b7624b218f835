package io.terok.runtime.spec;

/** A run spec field that cannot be accepted; the message names the field and what is wrong with it. */
public class InvalidSpecException extends RuntimeException {
    private final String field;

    public InvalidSpecException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
