package io.terok.shield.netns;

/** A command in a task's network namespace failed (nft refused the script, nsenter could not enter, timeout). */
public class NetnsException extends RuntimeException {
    public NetnsException(String message) {
        super(message);
    }
}
