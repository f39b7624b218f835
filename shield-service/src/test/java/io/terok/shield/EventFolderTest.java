package io.terok.shield;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.shield.events.EventFolder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventFolderTest {
    static final Instant T0 = Instant.parse("2026-12-07T05:00:00Z");
    static final String FLOODER = "f".repeat(32);
    static final String VICTIM = "a".repeat(32);

    @Test
    void aFloodOfNewPortsIsBoundedPerAddressAndReportedOnce() {
        EventFolder f = new EventFolder(Duration.ofSeconds(30), 8);
        int emitted = 0;
        // a second of flood: 1000 new ports of one address, as bench/run-load's flooder makes them
        for (int i = 0; i < 1000; i++) {
            if (f.offer(FLOODER, "198.18.0.2", 10000 + i, "tcp", T0.plusMillis(i)) != null) {
                emitted++;
            }
        }
        assertEquals(8, emitted, "the first 8 ports of the address, the rest folded");
        assertEquals(List.of(), f.expire(T0.plusSeconds(29)), "nothing reported before the window ends");
        List<EventFolder.Folded> folded = f.expire(T0.plusSeconds(30));
        assertEquals(1, folded.size());
        assertEquals("992 more blocked connections to 198.18.0.2 (992 more ports) folded", folded.get(0).describe());
        assertEquals(List.of(), f.expire(T0.plusSeconds(31)), "reported once");
        // the next window starts afresh
        assertNotNull(f.offer(FLOODER, "198.18.0.2", 20000, "tcp", T0.plusSeconds(32)));
    }

    @Test
    void theFirstPacketToANewAddressIsNeverFoldedAndTasksAreIndependent() {
        EventFolder f = new EventFolder(Duration.ofSeconds(30), 2);
        for (int i = 0; i < 500; i++) {
            f.offer(FLOODER, "198.18.0.2", 10000 + i, "tcp", T0);
        }
        // the flooder's own new address still gets its event at once
        assertEquals(1, f.offer(FLOODER, "198.18.0.3", 443, "tcp", T0).count());
        // and the victim's, to the very address the flooder floods, is not folded by the other task's flood
        assertEquals(1, f.offer(VICTIM, "198.18.0.2", 10001, "tcp", T0).count());
        assertEquals(1, f.offer(VICTIM, "198.18.0.2", 10002, "tcp", T0).count());
    }

    @Test
    void repeatsOfAPortAreCountedInItsNextEvent() {
        EventFolder f = new EventFolder(Duration.ofSeconds(30), 8);
        assertEquals(1, f.offer(VICTIM, "198.18.0.9", 443, "tcp", T0).count());
        assertNull(f.offer(VICTIM, "198.18.0.9", 443, "tcp", T0.plusSeconds(1)));
        assertNull(f.offer(VICTIM, "198.18.0.9", 443, "tcp", T0.plusSeconds(2)));
        assertEquals(1, f.offer(VICTIM, "198.18.0.9", 443, "udp", T0.plusSeconds(3)).count(), "another protocol is another port");
        assertEquals(3, f.offer(VICTIM, "198.18.0.9", 443, "tcp", T0.plusSeconds(31)).count(), "this one and the two folded");
        assertEquals(List.of(), f.expire(T0.plusSeconds(62)), "repeats are no flood report");
    }

    @Test
    void aFloodOfDistinctAddressesDoesNotPileUp() {
        EventFolder f = new EventFolder(Duration.ofSeconds(30), 8);
        for (int i = 0; i < 5000; i++) {
            assertNotNull(f.offer(FLOODER, "198.18." + (i / 250) + "." + (i % 250), 80, "tcp", T0), "each new address: an event");
        }
        assertEquals(5000, f.openWindows());
        f.expire(T0.plusSeconds(60));
        assertEquals(0, f.openWindows(), "forgotten two windows later");
        f.offer(FLOODER, "198.18.0.1", 80, "tcp", T0.plusSeconds(61));
        f.forget(FLOODER);
        assertEquals(0, f.openWindows());
        assertTrue(f.expire(T0.plusSeconds(200)).isEmpty());
    }
}
