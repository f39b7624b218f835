package io.terok.clearance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.clearance.domain.Clearance;
import io.terok.clearance.domain.ClearanceListener;
import io.terok.clearance.domain.Decision;
import io.terok.clearance.domain.Destination;
import io.terok.clearance.domain.Outcome;
import io.terok.clearance.domain.PendingRequest;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import org.junit.jupiter.api.function.Executable;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ClearanceTest {
    static final String T1 = "0123456789abcdef0123456789abcdef";
    static final String T2 = "fedcba9876543210fedcba9876543210";

    RecordingFirewall firewall;
    Clearance clearance;
    List<Outcome> outcomes;

    @BeforeEach
    void setUp() {
        firewall = new RecordingFirewall();
        clearance = new Clearance(firewall, Clock.systemUTC());
        outcomes = new ArrayList<>();
        clearance.addListener(new ClearanceListener() {
            public void requested(PendingRequest r) {
            }

            public void resolved(PendingRequest r, Outcome o) {
                outcomes.add(o);
            }
        });
        clearance.registerTask(T1, "agent-one", "proj");
    }

    @Test
    void repeatsOfOneDestinationFoldIntoOneRequest() {
        PendingRequest a = clearance.blocked(T1, new Destination("198.18.0.7", 443, "tcp"), "", 1);
        PendingRequest b = clearance.blocked(T1, new Destination("198.18.0.7", 443, "tcp"), "api.example.test", 2);
        assertEquals(a.id(), b.id());
        assertEquals(3, b.count());
        assertEquals("api.example.test", b.domain());
        assertEquals("agent-one", b.taskName());
        assertEquals(1, clearance.pending(T1).size());
        clearance.blocked(T1, new Destination("198.18.0.7", 80, "tcp"), "", 1);
        assertEquals(2, clearance.pending(T1).size());
    }

    @Test
    void allowOpensExactlyTheBlockedAddress() {
        PendingRequest r = clearance.blocked(T1, new Destination("198.18.0.7", 443, "tcp"), "", 1);
        Outcome o = clearance.verdict(r.id(), T1, "198.18.0.7", 443, Decision.ALLOW);
        assertEquals(Outcome.Kind.ALLOWED, o.kind());
        assertEquals(List.of("allow " + T1 + " 198.18.0.7 443/tcp"), firewall.calls);
        assertTrue(clearance.pending(T1).isEmpty());
        assertEquals(List.of(o), outcomes);
    }

    @Test
    void forgedVerdictsAreRefusedAndChangeNothing() {
        PendingRequest r = clearance.blocked(T1, new Destination("198.18.0.7", 443, "tcp"), "", 1);
        clearance.registerTask(T2, "other", "");
        assertDenied(() -> clearance.verdict("feedbeef", T1, "198.18.0.7", 443, Decision.ALLOW), "an unknown request");
        assertDenied(() -> clearance.verdict(r.id(), T2, "198.18.0.7", 443, Decision.ALLOW), "another task");
        assertDenied(() -> clearance.verdict(r.id(), T1, "10.0.0.1", 443, Decision.ALLOW), "another address");
        assertDenied(() -> clearance.verdict(r.id(), T1, "198.18.0.7", 22, Decision.ALLOW), "another port");
        assertTrue(firewall.calls.isEmpty(), "shield was never asked: " + firewall.calls);
        assertEquals(1, clearance.pending(T1).size(), "the real request is still pending");
        clearance.verdict(r.id(), T1, "198.18.0.7", 443, Decision.DENY);
        assertDenied(() -> clearance.verdict(r.id(), T1, "198.18.0.7", 443, Decision.ALLOW),
                "a decided request cannot be decided again");
        assertEquals(List.of("deny " + T1 + " 198.18.0.7"), firewall.calls);
    }

    @Test
    void aTaskIdMustBeOne() {
        ServiceException e = assertThrows(ServiceException.class, () -> clearance.registerTask("t1", "agent", ""));
        assertEquals(ServiceException.Kind.INVALID, e.kind());
        assertTrue(e.getMessage().startsWith("task_id: "), e.getMessage());
        assertEquals(ServiceException.Kind.INVALID,
                assertThrows(ServiceException.class, () -> clearance.unregisterTask("", "gone")).kind());
    }

    @Test
    void aShieldFailureIsReportedAsFailed() {
        PendingRequest r = clearance.blocked(T1, new Destination("198.18.0.7", 443, "tcp"), "", 1);
        firewall.failWith = new IllegalStateException("allow failed: UNAVAILABLE");
        Outcome o = clearance.verdict(r.id(), T1, "198.18.0.7", 443, Decision.ALLOW);
        assertEquals(Outcome.Kind.FAILED, o.kind());
        assertTrue(o.detail().contains("UNAVAILABLE"), o.detail());
    }

    @Test
    void pendingRequestsAreDroppedWithTheirTask() {
        clearance.blocked(T1, new Destination("198.18.0.7", 443, "tcp"), "", 1);
        clearance.blocked(T1, new Destination("198.18.0.8", 443, "tcp"), "", 1);
        assertEquals(2, clearance.unregisterTask(T1, "the task stopped"));
        assertTrue(clearance.pending(null).isEmpty());
        assertEquals(List.of(Outcome.Kind.DROPPED, Outcome.Kind.DROPPED), outcomes.stream().map(Outcome::kind).toList());
    }

    @Test
    void containerSuppliedTextIsDefused() {
        assertEquals("evil?[2Jname", Printable.line("evil\u001b[2Jname", 80));
        assertEquals("a?b", Printable.line("a\u202eb", 80));
        assertEquals("&lt;b&gt;x&lt;/b&gt; &amp;", Printable.markup("<b>x</b> &", 80));
        assertEquals("abc…", Printable.line("abcdef", 3));
    }

    /** A forged verdict is refused as not allowed (PERMISSION_DENIED over gRPC). */
    static void assertDenied(Executable verdict, String why) {
        assertEquals(ServiceException.Kind.DENIED, assertThrows(ServiceException.class, verdict, why).kind(), why);
    }
}
