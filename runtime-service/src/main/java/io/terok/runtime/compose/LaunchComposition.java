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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Wires a task into the other services before its container is created: credentials from the vault, the project's
 * repository from the gate, the firewall from shield and the operator's prompt from clearance. A service the task
 * needs and that is not there fails the launch (fail closed) unless the caller opted out of it explicitly, which
 * is logged loudly and recorded on the task. Every step that takes something pushes what gives it back onto the
 * launch's {@link UndoStack}. The calls that do not depend on each other are made at once (see {@link #compose}).
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

    /**
     * What one service gave the launch: what it holds and how that is given back ({@code what} null when it holds
     * nothing), and what it adds to the plan once every step of its phase has answered.
     */
    private record Part(String what, Runnable undo, Consumer<Gathered> apply) {
        static Part nothing() {
            return new Part(null, null, g -> { });
        }

        static Part only(Consumer<Gathered> apply) {
            return new Part(null, null, apply);
        }
    }

    /** Runs the wiring steps that wait on nothing but another service's answer (daemon threads, idle ones end). */
    private static final ExecutorService WIRING = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "launch-wiring");
        t.setDaemon(true);
        return t;
    });

    public Composed compose(LaunchContext ctx, UndoStack undo) {
        Gathered g = new Gathered();
        boolean filtered = ctx.spec().getNetwork() != NetworkMode.NETWORK_MODE_NONE;
        // Two phases, each a set of calls made at once: vault and gate depend only on the task; shield needs their
        // host ports and the vault's relayed hosts, and clearance (which serves only a shielded task) goes beside it.
        // In the second phase shield's failure comes first, so a launch without a firewall is refused as that.
        boolean shielded = filtered && !ctx.optOut().getShield();
        phase(List.of(() -> vault(ctx), () -> gate(ctx)), g, undo);
        if (filtered) {
            List<Supplier<Part>> second = new ArrayList<>();
            second.add(() -> shield(ctx, g));
            if (shielded && !ctx.optOut().getClearance()) {
                second.add(() -> clearance(ctx));
            }
            phase(second, g, undo);
        }
        if (shielded && ctx.optOut().getClearance()) {
            optedOut("clearance", ctx, "blocked connections will not reach the operator", g);
        }
        ContainerPlan plan = ctx.plan().withWiring(g.env, g.mounts, g.annotations, g.dns, g.hosts);
        return new Composed(plan, g.wiring.build(), List.copyOf(g.warnings));
    }

    /**
     * Runs the steps at once and waits for every one of them, whatever the others did, so nothing a step took can be
     * taken after the launch gave back what it held. What they took goes onto the undo stack in the steps' order
     * (not in the order they happened to answer), so a failed launch gives it back in an order that does not depend
     * on timing; then the first failure in that order is thrown, the others attached to it.
     */
    private static void phase(List<Supplier<Part>> steps, Gathered g, UndoStack undo) {
        List<CompletableFuture<Part>> running = new ArrayList<>();
        // The caller's gRPC context (deadline, cancellation) goes with each call, as it did when they ran one by one.
        io.grpc.Context callContext = io.grpc.Context.current();
        for (Supplier<Part> step : steps.subList(1, steps.size())) {
            running.add(CompletableFuture.supplyAsync(() -> {
                io.grpc.Context previous = callContext.attach();
                try {
                    return step.get();
                } finally {
                    callContext.detach(previous);
                }
            }, WIRING));
        }
        List<Object> outcomes = new ArrayList<>();
        outcomes.add(outcome(steps.get(0)));
        for (CompletableFuture<Part> r : running) {
            outcomes.add(outcome(r::join));
        }
        Throwable failure = null;
        List<Part> parts = new ArrayList<>();
        for (Object o : outcomes) {
            if (o instanceof Part part) {
                parts.add(part);
                if (part.what() != null) {
                    undo.push(part.what(), part.undo());
                }
            } else if (failure == null) {
                failure = (Throwable) o;
            } else {
                failure.addSuppressed((Throwable) o);
            }
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        } else if (failure instanceof Error e) {
            throw e;
        } else if (failure != null) {
            throw new IllegalStateException(failure);
        }
        parts.forEach(p -> p.apply().accept(g));
    }

    /** The step's part, or what it threw. */
    private static Object outcome(Supplier<Part> step) {
        try {
            return step.get();
        } catch (CompletionException e) {
            return e.getCause() != null ? e.getCause() : e;
        } catch (RuntimeException | Error e) {
            return e;
        }
    }

    private Part vault(LaunchContext ctx) {
        RunSpec spec = ctx.spec();
        ServiceOptOut optOut = ctx.optOut();
        if (!spec.getProvidersList().isEmpty()) {
            if (optOut.getVault()) {
                return Part.only(g -> optedOut("vault", ctx, "no credentials are wired for " + spec.getProvidersList(), g));
            }
            barrier.at("before-vault", ctx.taskId());
            TaskServices.VaultWiring v = required("vault", "cannot wire credentials for " + spec.getProvidersList(),
                    () -> services.mintVaultTokens(ctx.taskId(), spec.getProject(), spec.getProvidersList(), ctx.hostAddress()));
            barrier.at("after-vault", ctx.taskId());
            return useVault(ctx, v);
        } else if (!spec.getProject().isEmpty() && !optOut.getVault()) {
            // No providers: the vault is only asked for the project's SSH agent. Best effort - without an agent the
            // task holds no key at all (nothing opens by its absence), so a vault that is down or refuses does not
            // stop the launch; it is reported as a warning.
            try {
                TaskServices.VaultWiring v = services.mintVaultTokens(ctx.taskId(), spec.getProject(), List.of(), ctx.hostAddress());
                return !v.mounts().isEmpty() || !v.tokenIds().isEmpty() ? useVault(ctx, v) : Part.nothing();
            } catch (ServiceUnavailableException e) {
                if (e.unavailable()) {
                    LOG.infof("task %s: no SSH agent for project %s (%s)", ctx.name(), spec.getProject(), e.getMessage());
                    return Part.nothing();
                }
                return Part.only(g -> g.warnings.add("no SSH agent for project " + spec.getProject() + ": " + e.getMessage()));
            }
        }
        return Part.nothing();
    }

    private Part useVault(LaunchContext ctx, TaskServices.VaultWiring v) {
        return new Part("vault tokens and SSH agent", () -> services.revokeVaultTokens(ctx.taskId()), g -> {
            g.env.putAll(v.env());
            g.mounts.addAll(v.mounts());
            g.hostPorts.addAll(v.hostPorts());
            g.relayedHosts.addAll(v.relayedHosts());
            g.wiring.addAllVaultTokenIds(v.tokenIds());
            g.wiring.setVaultSshAgent(!v.mounts().isEmpty());
            if (!v.mounts().isEmpty()) {
                g.wiring.setVaultSshAgentDir(v.mounts().get(0).hostPath());
            }
        });
    }

    private Part gate(LaunchContext ctx) {
        String project = ctx.spec().getProject();
        if (project.isEmpty()) {
            return Part.nothing();
        }
        if (ctx.optOut().getGate()) {
            return Part.only(g -> optedOut("gate", ctx, "the task has no gate repository for project " + project, g));
        }
        barrier.at("before-gate", ctx.taskId());
        TaskServices.GateWiring w = required("gate", "cannot give the task its repository",
                () -> services.mintGateToken(ctx.taskId(), project, ctx.hostAddress()));
        barrier.at("after-gate", ctx.taskId());
        return new Part("gate token", () -> services.revokeGateToken(ctx.taskId()), g -> {
            g.env.putAll(w.env());
            g.hostPorts.addAll(w.hostPorts());
            g.wiring.setGateUrl(w.cloneUrl());
        });
    }

    /** @param g what the first phase gathered (vault's and gate's ports, the relayed hosts); only read while clearance is asked */
    private Part shield(LaunchContext ctx, Gathered g) {
        if (ctx.optOut().getShield()) {
            return Part.only(x -> optedOut("shield", ctx, "the task gets UNFILTERED network egress", x));
        }
        barrier.at("before-shield", ctx.taskId());
        TaskServices.ShieldWiring s = required("shield", "refusing to launch with unfiltered egress",
                () -> services.prepareShield(ctx.taskId(), ctx.name(), ctx.spec().getShieldProfilesList(), g.hostPorts,
                        ctx.hostAddress(), g.relayedHosts));
        barrier.at("after-shield", ctx.taskId());
        return new Part("shield state", () -> services.releaseShield(ctx.taskId()), x -> {
            x.annotations.putAll(s.annotations());
            x.dns.addAll(s.dnsServers());
            x.mounts.addAll(s.mounts());
            x.hosts.putAll(s.hosts());
            x.wiring.setShieldApplied(true);
        });
    }

    private Part clearance(LaunchContext ctx) {
        barrier.at("before-clearance", ctx.taskId());
        required("clearance", "blocked connections could not reach the operator", () -> {
            services.registerClearance(ctx.taskId(), ctx.name(), ctx.spec().getProject());
            return null;
        });
        barrier.at("after-clearance", ctx.taskId());
        return new Part("clearance registration", () -> services.unregisterClearance(ctx.taskId()),
                g -> g.wiring.setClearanceRegistered(true));
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
