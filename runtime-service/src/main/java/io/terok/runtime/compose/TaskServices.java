package io.terok.runtime.compose;

import io.terok.runtime.spec.Mount;
import java.util.List;
import java.util.Map;

/**
 * What runtime asks of the four other services for each task. Every method throws
 * {@link ServiceUnavailableException} when the service does not answer or refuses; release methods are
 * idempotent.
 */
public interface TaskServices {
    /** @param relayedHosts what the vault relays for the task: shield denies them to it directly */
    ShieldWiring prepareShield(String taskId, String containerName, List<String> profiles, List<Integer> hostPorts,
            String hostAddress, List<String> relayedHosts);

    void releaseShield(String taskId);

    /**
     * True when shield's hook loaded the task's ruleset into this container: it is running behind it now, or it
     * already exited after starting with it.
     */
    boolean shieldLoaded(String taskId, String containerId);

    /** False when shield answers that it has no state for the task (released, or its state directory lost). */
    boolean shieldKnows(String taskId);

    VaultWiring mintVaultTokens(String taskId, String project, List<String> providers, String hostAddress);

    void revokeVaultTokens(String taskId);

    /** The ids of the phantom tokens the vault still holds for the task. */
    List<String> vaultTokenIds(String taskId);

    GateWiring mintGateToken(String taskId, String project, String hostAddress);

    void revokeGateToken(String taskId);

    /** How many live gate tokens the task holds. */
    int gateTokens(String taskId);

    /** Idempotent: registering a task again (after clearance restarted and forgot it) only refreshes its name. */
    void registerClearance(String taskId, String name, String project);

    void unregisterClearance(String taskId);

    /** terok panic: the task's shield blocks everything in and out, established connections included, until Up. */
    void blockShield(String taskId);

    /** terok panic: the vault is locked, and stays locked across its restarts until the operator unlocks it. */
    void holdVault();

    record ShieldWiring(Map<String, String> annotations, List<String> dnsServers, List<Mount> mounts, Map<String, String> hosts) {
    }

    record VaultWiring(List<String> tokenIds, Map<String, String> env, List<Mount> mounts, List<Integer> hostPorts,
                       List<String> relayedHosts) {
    }

    record GateWiring(String cloneUrl, Map<String, String> env, List<Integer> hostPorts) {
    }
}
