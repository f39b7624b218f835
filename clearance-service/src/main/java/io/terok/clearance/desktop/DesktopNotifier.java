package io.terok.clearance.desktop;

import io.terok.clearance.domain.Clearance;
import io.terok.clearance.domain.ClearanceListener;
import io.terok.clearance.domain.Decision;
import io.terok.clearance.domain.Outcome;
import io.terok.clearance.domain.PendingRequest;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import org.jboss.logging.Logger;

/**
 * Puts each pending request on the desktop as a critical, resident notification with Allow and Deny, and
 * replaces it with the outcome. Repeats of a destination update the same notification (replaces_id).
 * Without a session bus or a notification server it stays quiet, says so once, and reports it in
 * {@link #status()}; the gRPC and terminal paths keep working.
 */
public final class DesktopNotifier implements ClearanceListener, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DesktopNotifier.class);
    static final String ALLOW = "allow";
    static final String DENY = "deny";
    private static final byte CRITICAL = 2;
    private static final int OUTCOME_EXPIRE_MS = 15_000;

    private final Clearance clearance;
    private final DBusConnection bus;
    private final Notifications server;
    private final DBus daemon;
    private final Map<String, UInt32> notificationOfRequest = new ConcurrentHashMap<>();
    private final Map<UInt32, String> requestOfNotification = new ConcurrentHashMap<>();
    /** D-Bus calls leave the caller's thread: a slow notification server must not hold up shield's event stream. */
    private final ExecutorService calls = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "clearance-desktop");
        t.setDaemon(true);
        return t;
    });
    private volatile String status;
    private volatile boolean saidUnavailable;

    private final NotificationBudget budget;
    private final Map<String, Boolean> saidThrottled = new ConcurrentHashMap<>();

    private DesktopNotifier(Clearance clearance, DBusConnection bus, NotificationBudget budget) throws DBusException {
        this.clearance = clearance;
        this.budget = budget;
        this.bus = bus;
        this.server = bus.getRemoteObject(Notifications.BUS_NAME, Notifications.OBJECT_PATH, Notifications.class);
        this.daemon = bus.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
        bus.addSigHandler(Notifications.ActionInvoked.class, this::onAction);
        bus.addSigHandler(Notifications.NotificationClosed.class, this::onClosed);
    }

    /** Connects to the session bus at the address, or returns null (and logs once) when there is none. */
    public static DesktopNotifier connect(Clearance clearance, String busAddress) {
        return connect(clearance, busAddress, new NotificationBudget(NotificationBudget.DEFAULT_PER_WINDOW,
                NotificationBudget.DEFAULT_WINDOW, java.time.Clock.systemUTC()));
    }

    /** As {@link #connect(Clearance, String)}, with at most {@code budget}'s notifications per task. */
    public static DesktopNotifier connect(Clearance clearance, String busAddress, NotificationBudget budget) {
        if (busAddress == null || busAddress.isBlank()) {
            LOG.warn("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset): desktop notifications are off; "
                    + "`terok clearance` and the gRPC API still take verdicts");
            return null;
        }
        try {
            DesktopNotifier n = new DesktopNotifier(clearance, DBusConnectionBuilder.forAddress(busAddress).build(), budget);
            clearance.addListener(n);
            n.status = n.serverPresent() ? "notifications on " + busAddress : "no notification server on " + busAddress;
            LOG.info("desktop: " + n.status);
            return n;
        } catch (DBusException | RuntimeException e) {
            LOG.warnf("cannot connect to the D-Bus session bus at %s (%s): desktop notifications are off; "
                    + "`terok clearance` and the gRPC API still take verdicts", busAddress, e.getMessage());
            return null;
        }
    }

    public String status() {
        return status;
    }

    private boolean serverPresent() {
        try {
            return daemon.NameHasOwner(Notifications.BUS_NAME);
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void requested(PendingRequest r) {
        if (!budget.take(r.taskId())) {
            // a flood from one task: the request stays pending (terok clearance, gRPC), the desktop is spared
            if (saidThrottled.putIfAbsent(r.taskId(), true) == null) {
                LOG.warnf("task %s causes more blocked connections than the desktop is shown; the rest wait in "
                        + "`terok clearance`", Printable.line(r.taskName().isEmpty() ? r.taskId() : r.taskName(), 60));
            }
            return;
        }
        calls.execute(() -> show(r));
    }

    @Override
    public void resolved(PendingRequest r, Outcome o) {
        calls.execute(() -> showOutcome(r, o));
    }

    private void show(PendingRequest r) {
        if (!serverPresent()) {
            unavailableOnce();
            return;
        }
        String summary = "Blocked: " + Printable.line(r.domain().isEmpty() ? r.destination().ip() : r.domain(), 80)
                + " port " + r.destination().port() + (r.count() > 1 ? " (×" + r.count() + ")" : "");
        String body = "Task " + Printable.markup(r.taskName().isEmpty() ? r.taskId().substring(0, Math.min(12, r.taskId().length())) : r.taskName(), 60)
                + (r.project().isEmpty() ? "" : " (project " + Printable.markup(r.project(), 60) + ")")
                + " tried to reach " + Printable.markup(r.destination().toString(), 80)
                + (r.domain().isEmpty() ? "" : " (" + Printable.markup(r.domain(), 120) + ")");
        UInt32 previous = notificationOfRequest.getOrDefault(r.id(), new UInt32(0));
        try {
            UInt32 id = server.Notify("terok", previous, "security-high", summary, body, List.of(ALLOW, "Allow", DENY, "Deny"),
                    Map.of("urgency", new Variant<>(CRITICAL), "resident", new Variant<>(true), "category", new Variant<>("network")),
                    0);
            notificationOfRequest.put(r.id(), id);
            requestOfNotification.put(id, r.id());
            status = "notifications on the session bus";
        } catch (RuntimeException e) {
            LOG.warnf("could not show the notification for %s: %s", r.destination(), e.getMessage());
        }
    }

    private void showOutcome(PendingRequest r, Outcome o) {
        UInt32 id = notificationOfRequest.remove(r.id());
        if (id == null) {
            return;
        }
        requestOfNotification.remove(id);
        String summary = switch (o.kind()) {
            case ALLOWED -> "Allowed: ";
            case DENIED -> "Denied: ";
            case FAILED -> "Failed: ";
            case DROPPED -> "Dropped: ";
        } + Printable.line(r.domain().isEmpty() ? r.destination().ip() : r.domain(), 80) + " port " + r.destination().port();
        try {
            server.Notify("terok", id, "security-high", summary, Printable.markup(o.detail(), 300), List.of(),
                    Map.of("urgency", new Variant<>((byte) 1)), OUTCOME_EXPIRE_MS);
        } catch (RuntimeException e) {
            LOG.warnf("could not replace the notification for %s: %s", r.destination(), e.getMessage());
        }
    }

    private void onAction(Notifications.ActionInvoked signal) {
        String requestId = requestOfNotification.get(signal.id);
        if (requestId == null) {
            return;
        }
        Decision d = switch (signal.actionKey) {
            case ALLOW -> Decision.ALLOW;
            case DENY -> Decision.DENY;
            default -> null;
        };
        if (d == null) {
            return;
        }
        // The desktop answers for the request it was shown, so task and destination come from that request.
        calls.execute(() -> clearance.find(requestId).ifPresent(r -> {
            try {
                clearance.verdict(r.id(), r.taskId(), r.destination().ip(), r.destination().port(), d);
            } catch (ServiceException e) {
                LOG.infof("desktop verdict for %s came too late: %s", r.destination(), e.getMessage());
            }
        }));
    }

    private void onClosed(Notifications.NotificationClosed signal) {
        // Closing the prompt is not a verdict: the request stays pending for the terminal and gRPC clients.
    }

    private void unavailableOnce() {
        status = "no notification server on the session bus";
        if (!saidUnavailable) {
            saidUnavailable = true;
            LOG.warn("no notification server (org.freedesktop.Notifications) on the session bus: blocked connections "
                    + "wait in `terok clearance` and the gRPC API");
        }
    }

    @Override
    public void close() {
        clearance.removeListener(this);
        calls.shutdownNow();
        try {
            bus.close();
        } catch (IOException e) {
            LOG.debug("closing the session bus connection", e);
        }
    }
}
