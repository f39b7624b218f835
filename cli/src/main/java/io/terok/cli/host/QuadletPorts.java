package io.terok.cli.host;

import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.services.ListenerPorts;
import io.terok.common.HostProcess;
import io.terok.common.ports.LoopbackListener;
import io.terok.common.ports.PortHolder;
import io.terok.common.ports.PortRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The loopback ports of a Quadlet deployment's listeners (the vault's broker, the gate's git HTTP, the console). In
 * embedded mode each service decides its port at every start from the user's {@link PortRegistry}; a unit's container
 * cannot (its state directory is read-only and not the host's), so it would take the documented default and a second
 * user's installation would meet the first one's port. {@code terok setup} therefore decides them as embedded mode
 * does, in the same registry (a setting in config.yaml, which the containers read too, else the recorded port, else a
 * claimed one), and writes each into its unit as the listener's environment variable. A second setup finds them
 * recorded and writes the same units; {@code terok uninstall} releases them.
 */
final class QuadletPorts {
    /** The unit (and container: the unit's name without {@code .container}) each listener runs in. */
    static final Map<String, LoopbackListener> UNITS = orderedUnits();

    private final PortRegistry registry;
    private final Function<String, Optional<String>> settings;
    private final PortHolder holders;

    QuadletPorts(PortRegistry registry, Function<String, Optional<String>> settings, PortHolder holders) {
        this.registry = registry;
        this.settings = settings;
        this.holders = holders;
    }

    static QuadletPorts of(Context ctx, Deployment dep) {
        return new QuadletPorts(PortRegistry.forUser(ctx.paths, ctx.env), key -> ListenerPorts.fromFile(dep.configFile(), key),
                PortHolder.host());
    }

    private static Map<String, LoopbackListener> orderedUnits() {
        Map<String, LoopbackListener> m = new LinkedHashMap<>();
        m.put("terok-vault.container", LoopbackListener.VAULT_BROKER);
        m.put("terok-gate.container", LoopbackListener.GATE_HTTP);
        m.put("terok-console.container", LoopbackListener.CONSOLE);
        return m;
    }

    PortRegistry registry() {
        return registry;
    }

    /** Setup: every listener's port, recorded (claimed now when it was not). */
    Map<LoopbackListener, Integer> decide() {
        Map<LoopbackListener, Integer> out = new LinkedHashMap<>();
        try {
            // every setting checked before anything is claimed: a bad one leaves no claim behind
            UNITS.values().forEach(l -> l.decided(settings.apply(l.key()), registry));
            UNITS.values().forEach(l -> out.put(l, l.decide(settings.apply(l.key()), registry)));
        } catch (IllegalArgumentException | IllegalStateException e) {
            // a setting that is not a port, or no free port left: said before any unit is written
            throw new CliException(e.getMessage(), "fix config.yaml (or free a port) and run `terok setup` again");
        }
        return out;
    }

    /** Whether {@link #decide} would claim a port (one listener has neither a setting nor a record). */
    boolean allDecided() {
        return UNITS.values().stream().allMatch(l -> settings.apply(l.key()).isPresent() || registry.recorded(l.name()) != 0);
    }

    /** Doctor: the ports setup wrote (0 for a listener it did not decide), claiming nothing. */
    Map<LoopbackListener, Integer> decided() {
        Map<LoopbackListener, Integer> out = new LinkedHashMap<>();
        for (LoopbackListener l : UNITS.values()) {
            int p;
            try {
                p = l.decided(settings.apply(l.key()), registry);
            } catch (IllegalArgumentException e) {
                p = 0;
            }
            out.put(l, p);
        }
        return out;
    }

    /** Uninstall: the listeners whose recorded port was given back. */
    List<String> release() {
        List<String> released = new ArrayList<>();
        for (LoopbackListener l : UNITS.values()) {
            if (registry.release(l.name())) {
                released.add(l.name());
            }
        }
        return released;
    }

    static String describe(Map<LoopbackListener, Integer> ports) {
        List<String> parts = new ArrayList<>();
        ports.forEach((l, p) -> parts.add(l.name() + " 127.0.0.1:" + p));
        return String.join(", ", parts);
    }

    /**
     * Doctor's line per listener: the port free, or held by the installation's own container (its process or one
     * below it), or taken by something else, named with its pid and command line and the setting that moves it.
     *
     * @param containerPid the host pid of a container's first process by container name, 0 when it does not run
     */
    List<Check> checks(String flag, java.nio.file.Path configFile, Function<String, Long> containerPid) {
        List<Check> checks = new ArrayList<>();
        Map<LoopbackListener, Integer> ports = decided();
        for (Map.Entry<String, LoopbackListener> e : UNITS.entrySet()) {
            LoopbackListener l = e.getValue();
            String label = l.name() + " port";
            int port = ports.get(l);
            if (port == 0) {
                checks.add(Check.error(label, "no port recorded for " + e.getKey() + " in " + registry.record(),
                        "run `terok setup " + flag + "`"));
                continue;
            }
            String where = "127.0.0.1:" + port + " (" + l.envVar() + " in " + e.getKey() + ")";
            if (PortRegistry.bindable(port)) {
                checks.add(Check.ok(label, where + ", free"));
                continue;
            }
            String container = e.getKey().substring(0, e.getKey().length() - ".container".length());
            Optional<Long> holder = holders.pid(port);
            long own = containerPid.apply(container);
            if (holder.isPresent() && own > 0 && holders.descendsFrom(holder.get(), own)) {
                checks.add(Check.ok(label, where + ", " + container + " listens"));
                continue;
            }
            checks.add(Check.error(label, where + " is taken by " + holders.describe(port) + ", so " + container
                    + " cannot start", "stop that process, or set " + l.key() + " in " + configFile + " to a free port and run `terok setup "
                    + flag + "` again"));
        }
        return checks;
    }

    /** The host pid of a running container's first process (podman inspect), 0 when it does not run. */
    static long podmanPid(String podman, String container) {
        try {
            HostProcess.Result r = HostProcess.of(podman, "inspect", "--type", "container", "--format", "{{.State.Pid}}", container)
                    .timeout(Duration.ofSeconds(10)).run();
            return r.ok() ? Long.parseLong(r.stdout().strip()) : 0;
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
    }
}
