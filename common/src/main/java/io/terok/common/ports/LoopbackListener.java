package io.terok.common.ports;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A TCP listener of terok on the host's 127.0.0.1 that task containers (or a browser) reach, and how its port is
 * decided: the operator's setting ({@code key} in config.yaml, or its environment variable) when there is one, else
 * this user's {@link PortRegistry} record. Whichever it is must be free before the service starts: a taken port is
 * one line naming the port, who holds it and the setting to change, not a stack trace in a log.
 *
 * @param name      the registry's key and what the message calls it, e.g. {@code vault-broker}
 * @param key       the configuration key, e.g. {@code terok.vault.broker-port}
 * @param preferred the port tried first when none is recorded (the documented default)
 */
public record LoopbackListener(String name, String key, int preferred) {
    public static final LoopbackListener VAULT_BROKER = new LoopbackListener("vault-broker", "terok.vault.broker-port", 9420);
    public static final LoopbackListener GATE_HTTP = new LoopbackListener("gate-http", "terok.gate.http-port", 9419);
    /** The web console: per user like the others, so a second user's console never meets the first one's port. */
    public static final LoopbackListener CONSOLE = new LoopbackListener("console", "terok.console.port", 9421);

    /** The environment variable SmallRye reads for {@link #key} ({@code terok.vault.broker-port} -> {@code TEROK_VAULT_BROKER_PORT}). */
    public String envVar() {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /** The operator's setting from the environment, then from {@code fromFile} (config.yaml); empty when unset. */
    public Optional<String> configured(Map<String, String> env, Function<String, Optional<String>> fromFile) {
        String v = env.get(envVar());
        if (v != null && !v.isBlank()) {
            return Optional.of(v.trim());
        }
        return fromFile.apply(key).map(String::trim).filter(s -> !s.isEmpty());
    }

    /**
     * The port this listener must bind, checked free right now.
     *
     * @throws IllegalArgumentException when the setting is not a port (the message names the setting)
     * @throws PortTakenException       when another process listens on it
     */
    public int resolve(Optional<String> configured, PortRegistry registry, PortHolder holders) {
        if (configured.isPresent()) {
            int port = parse(configured.get());
            if (!PortRegistry.bindable(port)) {
                throw new PortTakenException(port, name + " port 127.0.0.1:" + port + " is taken by " + holders.describe(port)
                        + "; set " + key + " (" + envVar() + ") to a free port, or stop that process");
            }
            return port;
        }
        int port;
        try {
            port = registry.claim(name, preferred);
        } catch (java.io.UncheckedIOException e) {
            // A read-only state directory (a Quadlet unit's container): nothing can be recorded, so the documented
            // default it is; config.yaml's key chooses another.
            port = preferred;
            if (!PortRegistry.bindable(port)) {
                throw new PortTakenException(port, name + " port 127.0.0.1:" + port + " (the default; " + e.getMessage()
                        + ") is taken by " + holders.describe(port) + "; set " + key + " (" + envVar() + ") to a free port, or stop that process");
            }
            return port;
        }
        if (!PortRegistry.bindable(port)) {
            throw new PortTakenException(port, name + " port 127.0.0.1:" + port + " (recorded for this user in "
                    + registry.record() + ") is taken by " + holders.describe(port) + "; stop that process, or set "
                    + key + " (" + envVar() + ") to a free port, or delete the " + name + " line there to have another picked");
        }
        return port;
    }

    /**
     * The port an installation's unit is to name ({@code terok setup}): the operator's setting, else the port recorded
     * for this user, else one claimed now. No bind test: the installation's own service may be listening on it.
     */
    public int decide(Optional<String> configured, PortRegistry registry) {
        if (configured.isPresent()) {
            return parse(configured.get());
        }
        int recorded = registry.recorded(name);
        return recorded != 0 ? recorded : registry.claim(name, preferred);
    }

    /** What {@link #decide} chose before, without claiming anything; 0 when nothing is set or recorded. */
    public int decided(Optional<String> configured, PortRegistry registry) {
        return configured.isPresent() ? parse(configured.get()) : registry.recorded(name);
    }

    private int parse(String v) {
        try {
            int port = Integer.parseInt(v);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(key + " (" + envVar() + ") must be a TCP port 1-65535, not '"
                + io.terok.common.Printable.line(v, 40) + "'");
    }
}
