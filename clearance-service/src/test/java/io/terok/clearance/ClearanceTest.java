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
import io.terok.clearance.domain.RejectedVerdictException;
import io.terok.clearance.domain.Sanitizer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ClearanceTest {
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
        clearance.registerTask("t1", "agent-one", "proj");
    }

    @Test
    void repeatsOfOneDestinationFoldIntoOneRequest() {
        PendingRequest a = clearance.blocked("t1", new Destination("198.18.0.7", 443, "tcp"), "", 1);
        PendingRequest b = clearance.blocked("t1", new Destination("198.18.0.7", 443, "tcp"), "api.example.test", 2);
        assertEquals(a.id(), b.id());
        assertEquals(3, b.count());
        assertEquals("api.example.test", b.domain());
        assertEquals("agent-one", b.taskName());
        assertEquals(1, clearance.pending("t1").size());
        clearance.blocked("t1", new Destination("198.18.0.7", 80, "tcp"), "", 1);
        assertEquals(2, clearance.pending("t1").size());
    }

    @Test
    void allowOpensExactlyTheBlockedAddress() {
        PendingRequest r = clearance.blocked("t1", new Destination("198.18.0.7", 443, "tcp"), "", 1);
        Outcome o = clearance.verdict(r.id(), "t1", "198.18.0.7", 443, Decision.ALLOW);
        assertEquals(Outcome.Kind.ALLOWED, o.kind());
        assertEquals(List.of("allow t1 198.18.0.7 443/tcp"), firewall.calls);
        assertTrue(clearance.pending("t1").isEmpty());
        assertEquals(List.of(o), outcomes);
    }

    @Test
    void forgedVerdictsAreRefusedAndChangeNothing() {
        PendingRequest r = clearance.blocked("t1", new Destination("198.18.0.7", 443, "tcp"), "", 1);
        clearance.registerTask("t2", "other", "");
        assertThrows(RejectedVerdictException.class, () -> clearance.verdict("feedbeef", "t1", "198.18.0.7", 443, Decision.ALLOW));
        assertThrows(RejectedVerdictException.class, () -> clearance.verdict(r.id(), "t2", "198.18.0.7", 443, Decision.ALLOW));
        assertThrows(RejectedVerdictException.class, () -> clearance.verdict(r.id(), "t1", "10.0.0.1", 443, Decision.ALLOW));
        assertThrows(RejectedVerdictException.class, () -> clearance.verdict(r.id(), "t1", "198.18.0.7", 22, Decision.ALLOW));
        assertTrue(firewall.calls.isEmpty(), "shield was never asked: " + firewall.calls);
        assertEquals(1, clearance.pending("t1").size(), "the real request is still pending");
        clearance.verdict(r.id(), "t1", "198.18.0.7", 443, Decision.DENY);
        assertThrows(RejectedVerdictException.class, () -> clearance.verdict(r.id(), "t1", "198.18.0.7", 443, Decision.ALLOW),
                "a decided request cannot be decided again");
        assertEquals(List.of("deny t1 198.18.0.7"), firewall.calls);
    }

    @Test
    void aShieldFailureIsReportedAsFailed() {
        PendingRequest r = clearance.blocked("t1", new Destination("198.18.0.7", 443, "tcp"), "", 1);
        firewall.failWith = new IllegalStateException("allow failed: UNAVAILABLE");
        Outcome o = clearance.verdict(r.id(), "t1", "198.18.0.7", 443, Decision.ALLOW);
        assertEquals(Outcome.Kind.FAILED, o.kind());
        assertTrue(o.detail().contains("UNAVAILABLE"), o.detail());
    }

    @Test
    void pendingRequestsAreDroppedWithTheirTask() {
        clearance.blocked("t1", new Destination("198.18.0.7", 443, "tcp"), "", 1);
        clearance.blocked("t1", new Destination("198.18.0.8", 443, "tcp"), "", 1);
        assertEquals(2, clearance.unregisterTask("t1", "the task stopped"));
        assertTrue(clearance.pending(null).isEmpty());
        assertEquals(List.of(Outcome.Kind.DROPPED, Outcome.Kind.DROPPED), outcomes.stream().map(Outcome::kind).toList());
    }

    @Test
    void containerSuppliedTextIsDefused() {
        assertEquals("evil?[2Jname", Sanitizer.plain("evil\u001b[2Jname", 80));
        assertEquals("a?b", Sanitizer.plain("a\u202eb", 80));
        assertEquals("&lt;b&gt;x&lt;/b&gt; &amp;", Sanitizer.markup("<b>x</b> &", 80));
        assertEquals("abc…", Sanitizer.plain("abcdef", 3));
    }
}
