package io.terok.clearance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.clearance.desktop.DesktopNotifier;
import io.terok.clearance.domain.Clearance;
import io.terok.clearance.domain.Decision;
import io.terok.clearance.domain.Destination;
import io.terok.clearance.domain.PendingRequest;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.DesktopSession;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Notifications on a real session bus, shown by a real notification server, answered through its actions. */
class DesktopNotifierTest {
    static final String TASK = "0123456789abcdef0123456789abcdef";
    static final String OTHER = "fedcba9876543210fedcba9876543210";

    DesktopSession desktop;
    RecordingFirewall firewall;
    Clearance clearance;
    DesktopNotifier notifier;

    @BeforeEach
    void start() throws Exception {
        desktop = new DesktopSession();
        firewall = new RecordingFirewall();
        clearance = new Clearance(firewall, Clock.systemUTC());
        clearance.registerTask(TASK, "agent\u001b[31m", "demo");
        notifier = DesktopNotifier.connect(clearance, desktop.busAddress);
    }

    @AfterEach
    void stop() {
        if (notifier != null) {
            notifier.close();
        }
        desktop.close();
    }

    @Test
    void aBlockedDestinationBecomesOneNotificationThatAllowAnswers() throws Exception {
        clearance.blocked(TASK, new Destination("198.18.0.7", 443, "tcp"), "api.example.test", 1);
        Cmd.await(() -> desktop.displayed() == 1, "the prompt on the desktop");
        clearance.blocked(TASK, new Destination("198.18.0.7", 443, "tcp"), "", 3);
        Thread.sleep(300);
        assertEquals(1, desktop.displayed(), "repeats replace the prompt instead of stacking");

        String menu = desktop.choose("Allow");
        assertTrue(menu.contains("#Allow (Blocked: api.example.test port 443 (×4))"), menu);
        assertTrue(menu.contains("#Deny"), menu);
        Cmd.await(() -> !firewall.calls.isEmpty(), "the verdict reaching shield");
        assertEquals(List.of("allow " + TASK + " 198.18.0.7 443/tcp"), firewall.calls);
        assertTrue(clearance.pending(null).isEmpty());
        // The prompt was replaced by the outcome: it no longer offers actions.
        Cmd.await(() -> !desktop.choose("Allow").contains("#Allow"), "the outcome replacing the prompt");
        assertEquals(1, desktop.displayed());
    }

    @Test
    void denyKeepsItClosed() throws Exception {
        PendingRequest r = clearance.blocked(TASK, new Destination("198.18.0.9", 80, "tcp"), "", 1);
        Cmd.await(() -> desktop.displayed() == 1, "the prompt on the desktop");
        desktop.choose("Deny");
        Cmd.await(() -> !firewall.calls.isEmpty(), "the verdict reaching shield");
        assertEquals(List.of("deny " + TASK + " 198.18.0.9"), firewall.calls);
        assertTrue(clearance.find(r.id()).isEmpty());
    }

    @Test
    void withoutABusClearanceStillTakesVerdicts() {
        assertNull(DesktopNotifier.connect(clearance, ""), "no bus: no notifier, no failure");
        PendingRequest r = clearance.blocked(TASK, new Destination("198.18.0.7", 443, "tcp"), "", 1);
        clearance.verdict(r.id(), TASK, "198.18.0.7", 443, Decision.ALLOW);
        assertEquals(List.of("allow " + TASK + " 198.18.0.7 443/tcp"), firewall.calls);
    }

    int shown() {
        return desktop.displayed() + Integer.parseInt(desktop.run("dunstctl", "count", "waiting").out().strip());
    }

    @Test
    void aFloodFromOneTaskLeavesThePendingListAndTheDesktopBounded() throws Exception {
        // 2000 blocked destinations from one task, and 500 repeats of one of them
        for (int port = 1; port <= 2000; port++) {
            clearance.blocked(TASK, new Destination("198.18.0.7", port, "tcp"), "", 1);
        }
        for (int i = 0; i < 500; i++) {
            clearance.blocked(TASK, new Destination("198.18.0.7", 1, "tcp"), "", 1);
        }
        assertEquals(Clearance.DEFAULT_MAX_PENDING_PER_TASK, clearance.pending(TASK).size(), "capped per task");
        assertEquals(501, clearance.pending(TASK).stream().filter(r -> r.destination().port() == 1).findFirst()
                .orElseThrow().count(), "repeats of one destination coalesce into one request");
        assertEquals(2000 - Clearance.DEFAULT_MAX_PENDING_PER_TASK, clearance.overflow(TASK));
        Cmd.await(() -> shown() >= 1, "the first prompts on the desktop");
        Thread.sleep(1500);
        int flood = shown();
        assertTrue(flood <= io.terok.clearance.desktop.NotificationBudget.DEFAULT_PER_WINDOW,
                flood + " notifications for one task");

        // another task is not starved by the first one's flood, on either side
        clearance.registerTask(OTHER, "other", "demo");
        PendingRequest other = clearance.blocked(OTHER, new Destination("198.18.0.9", 443, "tcp"), "", 1);
        assertEquals(List.of(other), clearance.pending(OTHER));
        Cmd.await(() -> shown() == flood + 1, "the other task's prompt");

        // answering one of the flooded requests makes room for a new destination again
        PendingRequest first = clearance.pending(TASK).get(0);
        clearance.verdict(first.id(), TASK, "198.18.0.7", first.destination().port(), Decision.DENY);
        assertEquals(Clearance.DEFAULT_MAX_PENDING_PER_TASK - 1, clearance.pending(TASK).size());
        assertTrue(clearance.blocked(TASK, new Destination("198.18.0.8", 80, "tcp"), "", 1) != null);
    }
}
