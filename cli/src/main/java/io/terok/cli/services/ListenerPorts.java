package io.terok.cli.services;

import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.common.ServiceName;
import io.terok.common.ports.LoopbackListener;
import io.terok.common.ports.PortHolder;
import io.terok.common.ports.PortRegistry;
import io.terok.common.ports.PortTakenException;
import io.terok.vault.passphrase.ConfigYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CLI's side of the services' loopback ports: before `services up` starts a JVM, the port it will bind is decided
 * (and recorded, for an allocated one) exactly as the service's own preflight does, so a taken port is reported
 * here, in one line, and nothing is started.
 */
public final class ListenerPorts {
    private ListenerPorts() {
    }

    static Optional<LoopbackListener> of(ServiceName s) {
        return switch (s) {
            case VAULT -> Optional.of(LoopbackListener.VAULT_BROKER);
            case GATE -> Optional.of(LoopbackListener.GATE_HTTP);
            default -> Optional.empty();
        };
    }

    /** Checks every listener of {@code services}; throws naming all that are taken, before anything starts. */
    static void check(Context ctx, List<ServiceName> services) {
        PortRegistry registry = PortRegistry.forUser(ctx.paths, ctx.env);
        StringBuilder taken = new StringBuilder();
        for (ServiceName s : services) {
            Optional<LoopbackListener> l = of(s);
            if (l.isEmpty()) {
                continue;
            }
            try {
                l.get().resolve(l.get().configured(ctx.env, key -> fromFile(ctx.paths.configFile(), key)), registry,
                        PortHolder.host());
            } catch (PortTakenException | IllegalArgumentException e) {
                taken.append(taken.isEmpty() ? "" : "\nterok: ").append(s.id()).append(": ").append(e.getMessage());
            }
        }
        if (!taken.isEmpty()) {
            throw new CliException(taken.toString(), "no service was started; `terok services up` again once fixed");
        }
    }

    /** A value of config.yaml by its dotted key, nested ({@code terok: vault: broker-port:}) or written flat. */
    public static Optional<String> fromFile(Path file, String key) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Map<String, Object> root;
        try {
            root = ConfigYaml.read(file);
        } catch (IOException | RuntimeException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage(), "fix the YAML; every service refuses to start with it");
        }
        if (root.get(key) != null) {
            return Optional.of(String.valueOf(root.get(key)));
        }
        Object node = root;
        for (String part : key.split("\\.")) {
            if (!(node instanceof Map<?, ?> m)) {
                return Optional.empty();
            }
            node = m.get(part);
        }
        return node == null || node instanceof Map ? Optional.empty() : Optional.of(String.valueOf(node));
    }
}
