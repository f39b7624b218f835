package io.terok.shield;

import io.terok.common.TerokPaths;
import io.terok.shield.hooks.HooksInstaller;
import io.terok.shield.netns.NsenterRunner;
import io.terok.shield.task.AuditLog;
import io.terok.shield.task.ShieldManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import io.terok.shield.events.BlockedEventHub;
import jakarta.annotation.PreDestroy;

/** Wires the plain domain classes together from configuration. */
@ApplicationScoped
public class ShieldBeans {

    @Produces
    @Singleton
    HooksInstaller hooksInstaller(ShieldConfig config) {
        boolean root = TerokPaths.isRoot();
        Path registration = config.shield().hooksRegistration().orElseGet(() -> root
                ? Path.of("/etc/containers/containers.conf.d/terok-shield.conf")
                : Path.of(System.getProperty("user.home"), ".config/containers/containers.conf.d/terok-shield.conf"));
        return new HooksInstaller(config.shield().hooksDir().orElse(config.dataDir().resolve("shield").resolve("hooks")),
                taskDir(config), registration);
    }

    @Produces
    @Singleton
    ShieldManager shieldManager(ShieldConfig config, HooksInstaller hooks) {
        ShieldConfig.Shield s = config.shield();
        ShieldManager.Settings settings = new ShieldManager.Settings(taskDir(config),
                config.configDir().resolve("shield").resolve("profiles"),
                s.defaultProfiles().stream().filter(x -> !x.isBlank()).toList(), s.upstreamDns(), s.logGroup(),
                s.learnedTimeout(), !TerokPaths.isRoot());
        return new ShieldManager(settings, new NsenterRunner(!TerokPaths.isRoot()), hooks::status,
                new AuditLog(Clock.systemUTC(), s.auditMaxBytes()));
    }

    @Produces
    @Singleton
    BlockedEventHub blockedEventHub(ShieldConfig config, ShieldManager manager) {
        hub = new BlockedEventHub(manager.store(), manager.runner(), config.shield().logGroup(),
                config.shield().eventWindow(), Clock.systemUTC(), new AuditLog(Clock.systemUTC(), config.shield().auditMaxBytes()),
                Duration.ofMillis(500), config.shield().dnsLogMaxBytes());
        return hub;
    }

    private BlockedEventHub hub;

    @PreDestroy
    void close() {
        if (hub != null) {
            hub.close();
        }
    }

    static Path taskDir(ShieldConfig config) {
        return config.shield().taskDir().orElse(config.stateDir().resolve("shield"));
    }
}
