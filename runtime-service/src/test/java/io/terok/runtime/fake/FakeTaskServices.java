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

    /** Where the vault's SSH agent directories are (on a revoked task's start, runtime re-creates one empty). */
    private final java.nio.file.Path agentRoot;

    public FakeTaskServices(CallLog log, java.nio.file.Path agentRoot) {
        this.log = log;
        this.agentRoot = agentRoot;
    }

    /** The service forgets the task (lost state, a replaced database) without being asked to release it. */
    public synchronized void forget(String service, String taskId) {
        held.remove(service + ":" + taskId);
    }

    /** The host directory the vault gives a task for its SSH agent. */
    public java.nio.file.Path agentDir(String taskId) {
        return agentRoot.resolve("agent-" + taskId);
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

    /** Logs {@code service.action} and, unless it was told to fail, holds the service for the task. */
    private void take(String service, String action, String taskId) {
        log.record(service + "." + action);
        held.add(service + ":" + taskId);
    }

    private void giveBack(String service, String action, String taskId) {
        log.record(service + "." + action);
        held.remove(service + ":" + taskId);
    }

    @Override
    public synchronized ShieldWiring prepareShield(String taskId, String containerName, List<String> profiles,
            List<Integer> hostPorts, String hostAddress, List<String> relayedHosts) {
        take("shield", "prepare", taskId);
        shieldSawPorts = List.copyOf(hostPorts);
        shieldSawRelayed = List.copyOf(relayedHosts);
        return new ShieldWiring(Map.of("io.terok.shield", taskId), List.of("169.254.1.1"),
                List.of(new Mount("/tmp/shield-" + taskId, "/etc/terok-shield", true, "")), Map.of("shield.internal", "169.254.1.1"));
    }

    @Override
    public synchronized void releaseShield(String taskId) {
        giveBack("shield", "release", taskId);
    }

    @Override
    public synchronized boolean shieldLoaded(String taskId, String containerId) {
        log.record("shield.loaded");
        return shieldHookRuns;
    }

    @Override
    public synchronized boolean shieldKnows(String taskId) {
        log.record("shield.status");
        return held.contains("shield:" + taskId);
    }

    @Override
    public synchronized List<String> vaultTokenIds(String taskId) {
        log.record("vault.list");
        return held.contains("vault:" + taskId) ? List.of("tok-claude") : List.of();
    }

    @Override
    public synchronized int gateTokens(String taskId) {
        log.record("gate.tokens");
        return held.contains("gate:" + taskId) ? 1 : 0;
    }

    /**
     * {@code r} runs when {@code call} (vault.mint, gate.mint or clearance.register) is made, before it is logged and
     * outside this fake's lock: a test can hold one of a launch's concurrent calls until another has answered.
     */
    public void before(String call, Runnable r) {
        before.put(call, r);
    }

    private final Map<String, Runnable> before = new java.util.concurrent.ConcurrentHashMap<>();

    private void runBefore(String call) {
        before.getOrDefault(call, () -> { }).run();
    }

    @Override
    public VaultWiring mintVaultTokens(String taskId, String project, List<String> providers, String hostAddress) {
        runBefore("vault.mint");
        synchronized (this) {
            take("vault", "mint", taskId);
        }
        List<Mount> agent = project.isEmpty() ? List.of() : List.of(new Mount(agentDir(taskId).toString(), "/run/terok/ssh-agent", true, ""));
        return new VaultWiring(providers.stream().map(p -> "tok-" + p).toList(),
                Map.of("ANTHROPIC_BASE_URL", "http://" + hostAddress + ":" + VAULT_PORT), agent, List.of(VAULT_PORT),
                providers.isEmpty() ? List.of() : List.of("api.anthropic.com"));
    }

    @Override
    public synchronized void revokeVaultTokens(String taskId) {
        giveBack("vault", "revoke", taskId);
    }

    @Override
    public GateWiring mintGateToken(String taskId, String project, String hostAddress) {
        runBefore("gate.mint");
        synchronized (this) {
            take("gate", "mint", taskId);
        }
        return new GateWiring("http://" + hostAddress + ":" + GATE_PORT + "/" + project + ".git",
                Map.of("TEROK_GATE_URL", "http://" + hostAddress + ":" + GATE_PORT), List.of(GATE_PORT));
    }

    @Override
    public synchronized void revokeGateToken(String taskId) {
        giveBack("gate", "revoke", taskId);
    }

    @Override
    public void registerClearance(String taskId, String name, String project) {
        runBefore("clearance.register");
        synchronized (this) {
            take("clearance", "register", taskId);
        }
    }

    @Override
    public synchronized void unregisterClearance(String taskId) {
        giveBack("clearance", "unregister", taskId);
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
