package io.terok.runtime.agenttask;

import io.terok.common.OnlineUpstream;
import java.util.List;

/**
 * The remotes of a task's workspace, as values for the workspace set-up script. The workspace is always cloned from the
 * gate (local and fast); then, by security mode:
 * <ul>
 * <li>gatekeeping: {@code origin} is the gate, there is no other remote: nothing the agent pushes leaves the machine
 * before review;</li>
 * <li>online: {@code origin} is the upstream (the agent pushes there itself) and {@code gate} is the gate (terok's
 * checkpoint of the branch), with git's ssh pinned to the host keys the gate trusted for that upstream.</li>
 * </ul>
 *
 * @param cloneFrom the gate URL the workspace is cloned from (with the task's gate token)
 * @param origin what {@code origin} is after the set-up
 * @param gate the {@code gate} remote's URL; empty in gatekeeping mode (origin is the gate)
 * @param sshCommand git's {@code core.sshCommand} for an ssh upstream; empty otherwise
 * @param knownHosts the lines of {@link #KNOWN_HOSTS} that command checks the upstream against; empty without it
 */
public record WorkspaceRemotes(String cloneFrom, String origin, String gate, String sshCommand, List<String> knownHosts) {
    /** Where the upstream's pinned host keys are written in the task (inside the clone's .git, owned by the task's user). */
    public static final String KNOWN_HOSTS = AgentTaskRunner.WORKSPACE + "/.git/terok-upstream-known-hosts";

    public static WorkspaceRemotes gatekeeping(String gateUrl) {
        return new WorkspaceRemotes(gateUrl, gateUrl, "", "", List.of());
    }

    /**
     * @param pinnedHostKeys the gate's known_hosts lines for an ssh upstream: the task's ssh accepts exactly these (a
     *     missing or changed key fails the push rather than trusting whoever answers)
     */
    public static WorkspaceRemotes online(OnlineUpstream upstream, String gateUrl, List<String> pinnedHostKeys) {
        if (upstream.scheme() != OnlineUpstream.Scheme.SSH) {
            return new WorkspaceRemotes(gateUrl, upstream.url(), gateUrl, "", List.of());
        }
        if (pinnedHostKeys.isEmpty()) {
            throw io.terok.common.ServiceException.precondition("the gate has not pinned the host key of the upstream yet, so "
                    + "the task could not check whom it pushes to: run `terok gate sync <project>` (after adding the deploy key)");
        }
        // BatchMode: no prompt can hang the agent; the agent's key is the vault's (SSH_AUTH_SOCK), never a file.
        return new WorkspaceRemotes(gateUrl, upstream.url(), gateUrl, "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes"
                + " -o UserKnownHostsFile=" + KNOWN_HOSTS + " -o GlobalKnownHostsFile=/dev/null", List.copyOf(pinnedHostKeys));
    }

    public boolean online() {
        return !gate.isEmpty();
    }
}
