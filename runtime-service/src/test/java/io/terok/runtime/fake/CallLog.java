package io.terok.runtime.fake;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The calls the fakes received, in order, across podman and the services (so a test sees the undo order across
 * both), and the failures a test asked for: a call named here throws instead of doing its work.
 */
public final class CallLog {
    private final List<String> calls = new ArrayList<>();
    private final Map<String, Supplier<RuntimeException>> failures = new HashMap<>();
    private final java.util.Set<String> kills = new java.util.HashSet<>();

    /** {@code call} throws what {@code failure} makes (it is still logged, as attempted). */
    public synchronized void fail(String call, Supplier<RuntimeException> failure) {
        failures.put(call, failure);
    }

    /** The process dies at {@code call}: it throws {@link Killed}, which no undo catches (as after a kill -9). */
    public synchronized void kill(String call) {
        kills.add(call);
    }

    /** What a killed process "throws": an Error, so no catch of RuntimeException runs an undo. */
    public static final class Killed extends Error {
        public Killed(String at) {
            super("killed at " + at);
        }
    }

    synchronized void record(String call) {
        calls.add(call);
        if (kills.contains(call)) {
            throw new Killed(call);
        }
        Supplier<RuntimeException> f = failures.get(call);
        if (f != null) {
            throw f.get();
        }
    }

    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    /** The calls after the first {@code call}; empty when it was never made. */
    public synchronized List<String> after(String call) {
        int i = calls.indexOf(call);
        return i < 0 ? List.of() : List.copyOf(calls.subList(i + 1, calls.size()));
    }

    public synchronized void clear() {
        calls.clear();
    }

    public synchronized void clearFailures() {
        failures.clear();
        kills.clear();
    }
}
