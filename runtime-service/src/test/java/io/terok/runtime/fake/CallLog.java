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

    /** {@code call} throws what {@code failure} makes (it is still logged, as attempted). */
    public void fail(String call, Supplier<RuntimeException> failure) {
        failures.put(call, failure);
    }

    synchronized void record(String call) {
        calls.add(call);
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
    }
}
