package io.terok.clearance;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.terok.clearance.desktop.DesktopNotifier;
import io.terok.clearance.domain.Clearance;
import io.terok.clearance.runtime.RuntimeLink;
import io.terok.clearance.shield.ShieldLink;
import io.terok.common.ServiceName;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Wires clearance's plain classes: shield on one side, the desktop and gRPC clients on the other. */
@ApplicationScoped
public class ClearanceBeans {
    @ConfigProperty(name = "terok.runtime-dir")
    Path runtimeDir;

    /** The session bus; DBUS_SESSION_BUS_ADDRESS when unset. */
    @ConfigProperty(name = "terok.clearance.bus-address")
    Optional<String> busAddress;

    @ConfigProperty(name = "terok.clearance.shield-deadline", defaultValue = "5s")
    Duration shieldDeadline;

    /** A task with this many pending requests raises no new one until the operator answers (or they are dropped). */
    @ConfigProperty(name = "terok.clearance.max-pending-per-task", defaultValue = "20")
    int maxPendingPerTask;

    /** Desktop notifications (new prompts and their updates) one task may cause per minute. */
    @ConfigProperty(name = "terok.clearance.notifications-per-minute", defaultValue = "6")
    int notificationsPerMinute;

    private ShieldLink shield;
    private RuntimeLink runtime;
    private DesktopNotifier desktop;

    @Produces
    @Singleton
    ShieldLink shield() {
        shield = new ShieldLink(ServiceName.SHIELD.socket(runtimeDir), shieldDeadline.toMillis());
        return shield;
    }

    @Produces
    @Singleton
    Clearance clearance(ShieldLink link) {
        return new Clearance(link, Clock.systemUTC(), maxPendingPerTask);
    }

    void start(@Observes StartupEvent event, Clearance clearance, ShieldLink link) {
        desktop = DesktopNotifier.connect(clearance, busAddress.orElse(System.getenv("DBUS_SESSION_BUS_ADDRESS")),
                new io.terok.clearance.desktop.NotificationBudget(notificationsPerMinute, Duration.ofMinutes(1), Clock.systemUTC()));
        link.follow(clearance);
        runtime = new RuntimeLink(ServiceName.RUNTIME.socket(runtimeDir));
        runtime.follow(clearance);
    }

    public DesktopNotifier desktop() {
        return desktop;
    }

    void stop(@Observes ShutdownEvent event) {
        if (desktop != null) {
            desktop.close();
        }
        if (shield != null) {
            shield.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }
}
