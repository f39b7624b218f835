package io.terok.runtime.compose;

import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.ServiceOptOut;
import io.terok.api.v1.TaskWiring;
import io.terok.runtime.spec.ContainerPlan;
import io.terok.runtime.spec.Mount;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Wires a task into the other services before its container is created: credentials from the vault, the project's
 * repository from the gate, the firewall from shield and the operator's prompt from clearance. A service the task
 * needs and that is not there fails the launch (fail closed) unless the caller opted out of it explicitly, which
 * is logged loudly and recorded on the task. Every step that takes something pushes what gives it back onto the
 * launch's {@link UndoStack}.
 */
public final class LaunchComposition {
    private static final Logger LOG = Logger.getLogger(LaunchComposition.class);

    private final TaskServices services;
    private final LaunchBarrier barrier;

    public LaunchComposition(TaskServices services) {
        this(services, LaunchBarrier.inert());
    }

    /** @param barrier test-only: holds the launch before and after each service's call (inert in an installation) */
    public LaunchComposition(TaskServices services, LaunchBarrier barrier) {
        this.services = services;
        this.barrier = barrier;
    }

    /** The plan with the services' env, mounts, annotations, DNS and hosts added, and what was wired. */
    public record Composed(ContainerPlan plan, TaskWiring wiring, List<String> warnings) {
    }

    /** What one launch gathers from the services, in the order it is asked for. */
    private static final class Gathered {
        final TaskWiring.Builder wiring = TaskWiring.newBuilder();
        final List<String> warnings = new ArrayList<>();
        final Map<String, String> env = new LinkedHashMap<>();
        final List<Mount> mounts = new ArrayList<>();
        final Map<String, String> annotations = new LinkedHashMap<>();
        final List<String> dns = new ArrayList<>();
        final Map<String, String> hosts = new LinkedHashMap<>();
        /** Host ports of vault and gate: shield opens exactly these. */
        final List<Integer> hostPorts = new ArrayList<>();
        /** Hosts the vault relays: shield closes them to the task (its providers are reached through the broker). */
        final List<String> relayedHosts = new ArrayList<>();
    }

    public Composed compose(LaunchContext ctx, UndoStack undo) {
        Gathered g = new Gathered();
        // Vault and gate first: shield needs their host ports and the vault's relayed hosts.
        vault(ctx, g, undo);
        gate(ctx, g, undo);
        boolean filtered = ctx.spec().getNetwork() != NetworkMode.NETWORK_MODE_NONE;
        if (filtered) {
            shield(ctx, g, undo);
        }
        if (filtered && g.wiring.getShieldApplied()) {
            clearance(ctx, g, undo);
        }
        ContainerPlan plan = ctx.plan().withWiring(g.env, g.mounts, g.annotations, g.dns, g.hosts);
        return new Composed(plan, g.wiring.build(), List.copyOf(g.warnings));
    }

    private void vault(LaunchContext ctx, Gathered g, UndoStack undo) {
        RunSpec spec = ctx.spec();
        ServiceOptOut optOut = ctx.optOut();
        if (!spec.getProvidersList().isEmpty()) {
            if (optOut.getVault()) {
                optedOut("vault", ctx, "no credentials are wired for " + spec.getProvidersList(), g);
            } else {
                barrier.at("before-vault", ctx.taskId());
                TaskServices.VaultWiring v = required("vault", "cannot wire credentials for " + spec.getProvidersList(),
                        () -> services.mintVaultTokens(ctx.taskId(), spec.getProject(), spec.getProvidersList(), ctx.hostAddress()));
                useVault(ctx, v, g, undo);
                barrier.at("after-vault", ctx.taskId());
            }
        } else if (!spec.getProject().isEmpty() && !optOut.getVault()) {
            // No providers: the vault is only asked for the project's SSH agent. Best effort - without an agent the
            // task holds no key at all (nothing opens by its absence), so a vault that is down or refuses does not
            // stop the launch; it is reported as a warning.
            try {
                TaskServices.VaultWiring v = services.mintVaultTokens(ctx.taskId(), spec.getProject(), List.of(), ctx.hostAddress());
                if (!v.mounts().isEmpty() || !v.tokenIds().isEmpty()) {
                    useVault(ctx, v, g, undo);
                }
            } catch (ServiceUnavailableException e) {
                if (e.unavailable()) {
                    LOG.infof("task %s: no SSH agent for project %s (%s)", ctx.name(), spec.getProject(), e.getMessage());
                } else {
                    g.warnings.add("no SSH agent for project " + spec.getProject() + ": " + e.getMessage());
                }
            }
        }
    }

    private void useVault(LaunchContext ctx, TaskServices.VaultWiring v, Gathered g, UndoStack undo) {
        undo.push("vault tokens and SSH agent", () -> services.revokeVaultTokens(ctx.taskId()));
        g.env.putAll(v.env());
        g.mounts.addAll(v.mounts());
        g.hostPorts.addAll(v.hostPorts());
        g.relayedHosts.addAll(v.relayedHosts());
        g.wiring.addAllVaultTokenIds(v.tokenIds());
        g.wiring.setVaultSshAgent(!v.mounts().isEmpty());
        if (!v.mounts().isEmpty()) {
            g.wiring.setVaultSshAgentDir(v.mounts().get(0).hostPath());
        }
    }

    private void gate(LaunchContext ctx, Gathered g, UndoStack undo) {
        String project = ctx.spec().getProject();
        if (project.isEmpty()) {
            return;
        }
        if (ctx.optOut().getGate()) {
            optedOut("gate", ctx, "the task has no gate repository for project " + project, g);
            return;
        }
        barrier.at("before-gate", ctx.taskId());
        TaskServices.GateWiring w = required("gate", "cannot give the task its repository",
                () -> services.mintGateToken(ctx.taskId(), project, ctx.hostAddress()));
        undo.push("gate token", () -> services.revokeGateToken(ctx.taskId()));
        barrier.at("after-gate", ctx.taskId());
        g.env.putAll(w.env());
        g.hostPorts.addAll(w.hostPorts());
        g.wiring.setGateUrl(w.cloneUrl());
    }

    private void shield(LaunchContext ctx, Gathered g, UndoStack undo) {
        if (ctx.optOut().getShield()) {
            optedOut("shield", ctx, "the task gets UNFILTERED network egress", g);
            return;
        }
        barrier.at("before-shield", ctx.taskId());
        TaskServices.ShieldWiring s = required("shield", "refusing to launch with unfiltered egress",
                () -> services.prepareShield(ctx.taskId(), ctx.name(), ctx.spec().getShieldProfilesList(), g.hostPorts,
                        ctx.hostAddress(), g.relayedHosts));
        undo.push("shield state", () -> services.releaseShield(ctx.taskId()));
        barrier.at("after-shield", ctx.taskId());
        g.annotations.putAll(s.annotations());
        g.dns.addAll(s.dnsServers());
        g.mounts.addAll(s.mounts());
        g.hosts.putAll(s.hosts());
        g.wiring.setShieldApplied(true);
    }

    private void clearance(LaunchContext ctx, Gathered g, UndoStack undo) {
        if (ctx.optOut().getClearance()) {
            optedOut("clearance", ctx, "blocked connections will not reach the operator", g);
            return;
        }
        barrier.at("before-clearance", ctx.taskId());
        required("clearance", "blocked connections could not reach the operator", () -> {
            services.registerClearance(ctx.taskId(), ctx.name(), ctx.spec().getProject());
            return null;
        });
        undo.push("clearance registration", () -> services.unregisterClearance(ctx.taskId()));
        barrier.at("after-clearance", ctx.taskId());
        g.wiring.setClearanceRegistered(true);
    }

    /**
     * After the container started: fails the launch (so its undo removes the container) when shield was wired but
     * its hook did not load the ruleset. The annotation selects shield's hook only if this podman reads shield's
     * hooks dir; otherwise the container would run unfiltered.
     */
    public void confirmShieldLoaded(String taskId, TaskWiring wiring, String containerId) {
        if (wiring.getShieldApplied() && !required("shield", "cannot confirm that the task's firewall loaded, so the "
                + "launch is undone", () -> services.shieldLoaded(taskId, containerId))) {
            throw new ServiceUnavailableException("shield", "the firewall did not load when the container started: "
                    + "the podman service in use does not run shield's hook. Run `terok setup`, then restart the "
                    + "podman API service (`terok services down && terok services up` restarts terok's own)");
        }
    }

    static <T> T required(String service, String consequence, Supplier<T> step) {
        try {
            return step.get();
        } catch (ServiceUnavailableException e) {
            if (!e.unavailable()) {
                throw e;
            }
            throw new ServiceUnavailableException(service, e.getMessage() + "; " + consequence
                    + ". Start it (`terok services up`) or opt out explicitly (--no-" + service + ")");
        }
    }

    private static void optedOut(String service, LaunchContext ctx, String consequence, Gathered g) {
        String msg = "launched WITHOUT " + service + "-service by explicit opt-out: " + consequence;
        LOG.warnf("!!! task %s %s", ctx.name(), msg);
        g.wiring.addOptedOut(service);
        g.warnings.add(msg);
    }
}
