package io.terok.runtime.compose;

/** A service a launch needs did not answer or refused; the launch fails closed. */
public class ServiceUnavailableException extends RuntimeException {
    private final String service;

    public ServiceUnavailableException(String service, String message) {
        super(message);
        this.service = service;
    }

    public String service() {
        return service;
    }
}
