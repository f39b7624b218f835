package io.terok.shield.policy;

/** What the task's output chain does. */
public enum Mode {
    /** Default deny; allow lists apply. */
    UP,
    /** Bypass with logging; deny list and private ranges still enforced. */
    DOWN,
    /** Bypass with logging; only the deny list is enforced. */
    DOWN_ALL,
    /** Quarantine: nothing in or out (loopback only). */
    BLOCKED
}
