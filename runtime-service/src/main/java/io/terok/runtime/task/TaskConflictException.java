package io.terok.runtime.task;

/** The request contradicts the task's current state (a running task to remove, a name in use). */
public class TaskConflictException extends RuntimeException {
    private final boolean alreadyExists;

    public TaskConflictException(String message, boolean alreadyExists) {
        super(message);
        this.alreadyExists = alreadyExists;
    }

    public boolean alreadyExists() {
        return alreadyExists;
    }
}
