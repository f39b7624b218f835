package io.terok.shield.netns;

import io.terok.common.HostProcess;
import io.terok.common.ServiceException;
import io.terok.shield.policy.RulesetGenerator;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs commands inside a task container's network namespace, found by the pid of a process in it. A command that
 * cannot run there (nsenter cannot enter, a timeout) is the container's state, not a bug: it fails with a
 * {@link ServiceException} of kind PRECONDITION, as does nft refusing a change.
 */
public interface NetnsRunner {
    /** The commands run in a namespace are the host's: found on the system PATH, whatever the service's is. */
    String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    Pattern PACKETS = Pattern.compile("packets (\\d+)");

    /** The argv prefix that enters {@code pid}'s network namespace (for long-lived readers). */
    List<String> enter(int pid);

    /**
     * Runs {@code command} in the namespace to completion, stdin from {@code input} (may be null), bounded by
     * {@code timeout}; the result holds its exit code and output.
     */
    HostProcess.Result run(int pid, List<String> command, String input, Duration timeout);

    /** Applies an nft script atomically ({@code nft -f -}); throws with nft's message when it refuses. */
    default void nft(int pid, String script) {
        HostProcess.Result r = run(pid, List.of("nft", "-f", "-"), script, Duration.ofSeconds(10));
        if (r.exitCode() > 128) {
            throw crashed(pid, r);
        }
        if (r.exitCode() != 0) {
            throw ServiceException.precondition("nft refused the change in the netns of pid " + pid + ": "
                    + r.stderr().strip());
        }
    }

    /**
     * Packets the task's flood limit dropped (the named counter {@code flood_dropped}); 0 when the table or the
     * counter is not there (a container started before the limit existed).
     */
    default long floodDropped(int pid) {
        HostProcess.Result r = run(pid, List.of("nft", "list", "counter", "inet", "terok_shield",
                RulesetGenerator.FLOOD_COUNTER), null, Duration.ofSeconds(10));
        if (r.exitCode() > 128) {
            throw crashed(pid, r);
        }
        Matcher m = PACKETS.matcher(r.stdout());
        return r.exitCode() == 0 && m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** {@code nft list table inet terok_shield}, or empty when the table is not there. */
    default String listTable(int pid) {
        HostProcess.Result r = run(pid, List.of("nft", "list", "table", "inet", "terok_shield"), null, Duration.ofSeconds(10));
        if (r.exitCode() > 128) {
            throw crashed(pid, r);
        }
        return r.exitCode() == 0 ? r.stdout() : "";
    }

    /**
     * nft killed by a signal: typically an nft older than the host's (which the hook loads the table with) that
     * cannot read the table, e.g. Debian 12's 1.0.6 on Debian 13's (SIGSEGV). Nothing was changed; the task keeps
     * its firewall. Not "no table": a status must never read a crash as a task without a firewall.
     */
    static ServiceException crashed(int pid, HostProcess.Result r) {
        return ServiceException.precondition("nft crashed (exit " + r.exitCode() + ", signal " + (r.exitCode() - 128)
                + ") reading the firewall in the netns of pid " + pid + "; nothing was changed and the task stays filtered."
                + " The shield's nft cannot read the table the host's nft loaded: run `terok setup` to rebuild the shield"
                + " image with the host's nft");
    }
}
