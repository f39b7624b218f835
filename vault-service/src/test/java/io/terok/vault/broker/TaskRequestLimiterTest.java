package io.terok.vault.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.vault.broker.TaskRequestLimiter.Limits;
import io.terok.vault.broker.TaskRequestLimiter.Permit;
import io.terok.vault.broker.TaskRequestLimiter.Refusal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskRequestLimiterTest {
    static final long S = 1_000_000_000L;

    @Test
    void aFloodingTaskIsHeldToItsRateWhileAnotherTaskKeepsItsWholeAllowance() {
        TaskRequestLimiter l = new TaskRequestLimiter(new Limits(20, 40, 0));
        int admitted = 0;
        // 1000 requests in one second from the flooder: its burst, then the rate
        for (int i = 0; i < 1000; i++) {
            if (l.admit("flooder", i * S / 1000) instanceof Permit p) {
                admitted++;
                p.release();
            }
        }
        assertTrue(admitted >= 40 && admitted <= 40 + 21, "burst plus about a second of rate, got " + admitted);
        for (int i = 0; i < 40; i++) {
            assertInstanceOf(Permit.class, l.admit("victim", S), "the other task's request " + i + " is admitted");
        }
    }

    @Test
    void aRefusalSaysWhyAndWhenToRetry() {
        TaskRequestLimiter l = new TaskRequestLimiter(new Limits(0.5, 1, 0));
        assertInstanceOf(Permit.class, l.admit("t", 0));
        Refusal r = assertInstanceOf(Refusal.class, l.admit("t", 0));
        assertEquals(2, r.retryAfterSeconds(), "one request every two seconds");
        assertTrue(r.reason().contains("0.5 requests a second") && r.reason().contains("slow down"), r.reason());
        assertInstanceOf(Permit.class, l.admit("t", 2 * S), "after the wait it is admitted again");
    }

    @Test
    void theInFlightCapHoldsUntilARequestEnds() {
        TaskRequestLimiter l = new TaskRequestLimiter(new Limits(0, 0, 3));
        List<Permit> open = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            open.add(assertInstanceOf(Permit.class, l.admit("t", 0)));
        }
        Refusal r = assertInstanceOf(Refusal.class, l.admit("t", 0));
        assertTrue(r.reason().contains("3 requests in flight"), r.reason());
        assertInstanceOf(Permit.class, l.admit("other", 0), "another task is not affected");
        open.get(0).release();
        open.get(0).release(); // twice changes nothing
        assertInstanceOf(Permit.class, l.admit("t", 0));
        assertInstanceOf(Refusal.class, l.admit("t", 0), "a double release did not free a second slot");
    }

    @Test
    void aClockGoingBackwardsNeverMintsAllowance() {
        TaskRequestLimiter l = new TaskRequestLimiter(new Limits(10, 1, 0));
        assertInstanceOf(Permit.class, l.admit("t", 5 * S));
        assertInstanceOf(Refusal.class, l.admit("t", 0));
        assertInstanceOf(Refusal.class, l.admit("t", 5 * S));
        assertInstanceOf(Permit.class, l.admit("t", 5 * S + S / 10));
    }

    @Test
    void aRateWithoutABurstIsAConfigurationError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TaskRequestLimiter(new Limits(10, 0, 0)));
        assertTrue(e.getMessage().contains("terok.vault.task-request-burst"), e.getMessage());
    }

    @Test
    void forgettingATaskGivesAFreshAllowanceAndAnOldPermitCannotHurtIt() {
        TaskRequestLimiter l = new TaskRequestLimiter(new Limits(1, 1, 1));
        Permit old = assertInstanceOf(Permit.class, l.admit("t", 0));
        assertInstanceOf(Refusal.class, l.admit("t", 0));
        l.forget("t");
        Permit fresh = assertInstanceOf(Permit.class, l.admit("t", 0));
        old.release();
        assertInstanceOf(Refusal.class, l.admit("t", 2 * S), "the fresh permit still holds the only slot");
        fresh.release();
        assertInstanceOf(Permit.class, l.admit("t", 2 * S));
    }

    @Test
    void aFloodsRefusalsAreHeldUpToABoundThenAnsweredAtOnceAndAnotherTaskIsNotAffected() {
        TaskRequestLimiter l = new TaskRequestLimiter(new Limits(20, 1, 32));
        assertInstanceOf(Permit.class, l.admit("flooder", 0));
        int max = l.maxHeld();
        assertEquals(64, max, "twice the in-flight cap, at least 64");
        for (int i = 0; i < max; i++) {
            Refusal r = assertInstanceOf(Refusal.class, l.admit("flooder", 0));
            assertTrue(r.held(), "refusal " + i + " is held (answered after its Retry-After)");
            assertEquals(1, r.retryAfterSeconds());
        }
        Refusal past = assertInstanceOf(Refusal.class, l.admit("flooder", 0));
        assertTrue(!past.held(), "past the bound a refusal is not held");
        assertEquals(TaskRequestLimiter.Answer.PARKED, past.answer(), "past the bound its connection is parked");
        l.unpark("flooder");
        assertEquals(max, l.held("flooder"));
        // Another task has its own allowance and its own held refusals.
        assertInstanceOf(Permit.class, l.admit("other", 0));
        assertTrue(assertInstanceOf(Refusal.class, l.admit("other", 0)).held(), "the other task's first refusal is held");
        l.unhold("flooder");
        assertTrue(assertInstanceOf(Refusal.class, l.admit("flooder", 0)).held(), "an answered hold frees one");
        for (int i = 0; i < 2 * max; i++) {
            l.unhold("flooder");
        }
        assertEquals(0, l.held("flooder"), "more unholds than holds never go below zero");
        // Held or not, no refusal ever admits: the flooder still gets only its rate.
        assertInstanceOf(Permit.class, l.admit("flooder", S / 20));
        assertInstanceOf(Refusal.class, l.admit("flooder", S / 20));
    }

    @Test
    void aRefusalAllocatesNoNewReasonText() {
        TaskRequestLimiter l = new TaskRequestLimiter(new Limits(1, 1, 0));
        l.admit("t", 0);
        Refusal a = assertInstanceOf(Refusal.class, l.admit("t", 0));
        l.admit("u", 0);
        Refusal b = assertInstanceOf(Refusal.class, l.admit("u", 0));
        assertTrue(a.reason() == b.reason(), "one reason string per kind of refusal, built once (a flood allocates none)");
    }

    @Test
    void pastItsHeldRefusalsAFloodsConnectionsAreParkedUpToABoundThenClosedAndAnotherTaskIsNotAffected() {
        TaskRequestLimiter l = new TaskRequestLimiter(new Limits(20, 1, 32));
        assertInstanceOf(Permit.class, l.admit("flooder", 0));
        for (int i = 0; i < l.maxHeld(); i++) {
            assertEquals(TaskRequestLimiter.Answer.HELD, assertInstanceOf(Refusal.class, l.admit("flooder", 0)).answer());
        }
        assertEquals(256, l.maxParked(), "four times the held bound");
        for (int i = 0; i < l.maxParked(); i++) {
            assertEquals(TaskRequestLimiter.Answer.PARKED, assertInstanceOf(Refusal.class, l.admit("flooder", 0)).answer(),
                    "refusal " + i + " past the held ones is parked");
        }
        assertEquals(l.maxParked(), l.parked("flooder"));
        Refusal past = assertInstanceOf(Refusal.class, l.admit("flooder", 0));
        assertEquals(TaskRequestLimiter.Answer.CLOSED, past.answer(), "past both bounds the connection is closed at once");
        assertEquals(l.maxParked(), l.parked("flooder"), "a closed one takes no parking place");
        // Another task's first refusal is held as ever: the flooder's parking is its own.
        assertInstanceOf(Permit.class, l.admit("other", 0));
        assertEquals(TaskRequestLimiter.Answer.HELD, assertInstanceOf(Refusal.class, l.admit("other", 0)).answer());
        assertEquals(0, l.parked("other"));
        l.unpark("flooder");
        assertEquals(TaskRequestLimiter.Answer.PARKED, assertInstanceOf(Refusal.class, l.admit("flooder", 0)).answer(),
                "a closed parked connection frees one place");
        for (int i = 0; i < 2 * l.maxParked(); i++) {
            l.unpark("flooder");
        }
        assertEquals(0, l.parked("flooder"), "more unparks than parks never go below zero");
        // Parked or closed, no refusal ever admits: the flooder still gets only its rate.
        assertInstanceOf(Permit.class, l.admit("flooder", S / 20));
        assertInstanceOf(Refusal.class, l.admit("flooder", S / 20));
    }
}
