package io.terok.runtime.task;

/** No task (or more than one) matches what the caller named. */
public class TaskNotFoundException extends RuntimeException {
    public TaskNotFoundException(String message) {
        super(message);
    }
}
