package io.terok.runtime.fake;

import io.terok.runtime.compose.TaskServices;
import io.terok.runtime.spec.Mount;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The four services as a launch sees them, keeping what each holds per task (so a test can say "nothing is left")
 * and logging every call as {@code service.action}.
 */
public final class FakeTaskServices implements TaskServices {
    public static final int VAULT_PORT = 18700;
    public static final int GATE_PORT = 18701;

    private final CallLog log;
    /** Held per task: "vault", "gate", "shield", "clearance". */
    private final Set<String> held = new HashSet<>();
    private boolean shieldHookRuns = true;
    private List<Integer> shieldSawPorts = List.of();
    private List<String> shieldSawRelayed = List.of();

    public FakeTaskServices(CallLog log) {
        this.log = log;
    }

    /** False: the podman in use does not run shield's hook, so the firewall never loads. */
    public void shieldHookRuns(boolean runs) {
        this.shieldHookRuns = runs;
    }

    public synchronized Set<String> held() {
        return Set.copyOf(held);
    }

    public List<Integer> shieldSawPorts() {
        return shieldSawPorts;
    }

    public List<String> shieldSawRelayed() {
        return shieldSawRelayed;
    }

    @Override
    public synchronized ShieldWiring prepareShield(String taskId, String containerName, List<String> profiles,
            List<Integer> hostPorts, String hostAddress, List<String> relayedHosts) {
        log.record("shield.prepare");
        shieldSawPorts = List.copyOf(hostPorts);
        shieldSawRelayed = List.copyOf(relayedHosts);
        held.add("shield:" + taskId);
        return new ShieldWiring(Map.of("io.terok.shield", taskId), List.of("169.254.1.1"),
                List.of(new Mount("/tmp/shield-" + taskId, "/etc/terok-shield", true, "")), Map.of("shield.internal", "169.254.1.1"));
    }

    @Override
    public synchronized void releaseShield(String taskId) {
        log.record("shield.release");
        held.remove("shield:" + taskId);
    }

    @Override
    public synchronized boolean shieldLoaded(String taskId, String containerId) {
        log.record("shield.loaded");
        return shieldHookRuns;
    }

    @Override
    public synchronized VaultWiring mintVaultTokens(String taskId, String project, List<String> providers, String hostAddress) {
        log.record("vault.mint");
        held.add("vault:" + taskId);
        List<Mount> agent = project.isEmpty() ? List.of() : List.of(new Mount("/tmp/agent-" + taskId, "/run/ssh-agent.sock", true, ""));
        return new VaultWiring(providers.stream().map(p -> "tok-" + p).toList(),
                Map.of("ANTHROPIC_BASE_URL", "http://" + hostAddress + ":" + VAULT_PORT), agent, List.of(VAULT_PORT),
                providers.isEmpty() ? List.of() : List.of("api.anthropic.com"));
    }

    @Override
    public synchronized void revokeVaultTokens(String taskId) {
        log.record("vault.revoke");
        held.remove("vault:" + taskId);
    }

    @Override
    public synchronized GateWiring mintGateToken(String taskId, String project, String hostAddress) {
        log.record("gate.mint");
        held.add("gate:" + taskId);
        return new GateWiring("http://" + hostAddress + ":" + GATE_PORT + "/" + project + ".git",
                Map.of("TEROK_GATE_URL", "http://" + hostAddress + ":" + GATE_PORT), List.of(GATE_PORT));
    }

    @Override
    public synchronized void revokeGateToken(String taskId) {
        log.record("gate.revoke");
        held.remove("gate:" + taskId);
    }

    @Override
    public synchronized void registerClearance(String taskId, String name, String project) {
        log.record("clearance.register");
        held.add("clearance:" + taskId);
    }

    @Override
    public synchronized void unregisterClearance(String taskId) {
        log.record("clearance.unregister");
        held.remove("clearance:" + taskId);
    }

    @Override
    public void blockShield(String taskId) {
        log.record("shield.block");
    }

    @Override
    public void holdVault() {
        log.record("vault.hold");
    }
}
