package io.terok.shield.netns;

import java.time.Duration;
import java.util.List;

/** Runs commands inside a task container's network namespace, found by the pid of a process in it. */
public interface NetnsRunner {
    record Result(int exitCode, String stdout, String stderr) {
    }

    /** The argv prefix that enters {@code pid}'s network namespace (for long-lived readers). */
    List<String> enter(int pid);

    /** Runs {@code command} in the namespace, stdin from {@code input} (may be null), bounded by {@code timeout}. */
    Result run(int pid, List<String> command, String input, Duration timeout);

    /** Applies an nft script atomically ({@code nft -f -}); throws with nft's message when it refuses. */
    default void nft(int pid, String script) {
        Result r = run(pid, List.of("nft", "-f", "-"), script, Duration.ofSeconds(10));
        if (r.exitCode() != 0) {
            throw new NetnsException("nft refused the change in the netns of pid " + pid + ": " + r.stderr().strip());
        }
    }

    /** {@code nft list table inet terok_shield}, or empty when the table is not there. */
    default String listTable(int pid) {
        Result r = run(pid, List.of("nft", "list", "table", "inet", "terok_shield"), null, Duration.ofSeconds(10));
        return r.exitCode() == 0 ? r.stdout() : "";
    }
}
