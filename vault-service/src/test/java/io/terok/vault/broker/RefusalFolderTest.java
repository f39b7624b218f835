package io.terok.vault.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.vault.broker.RefusalFolder.Folded;
import java.util.List;
import org.junit.jupiter.api.Test;

class RefusalFolderTest {
    static final long S = 1_000_000_000L;

    @Test
    void aFloodsFirstRefusalIsAuditedAtOnceAndTheRestOfTheWindowBecomesOneCountedLine() {
        RefusalFolder f = new RefusalFolder(30 * S);
        assertTrue(f.refused("flooder", "vt-1", "anthropic", "POST", "/v1/messages", 0), "the first refusal gets its own line");
        for (int i = 1; i <= 999; i++) {
            assertFalse(f.refused("flooder", "vt-1", "anthropic", "POST", "/v1/m" + i, i * S / 100), "refusal " + i + " is folded");
        }
        assertEquals(List.of(), f.expire(29 * S), "nothing is reported before the window ends");
        assertEquals(List.of(new Folded("flooder", "vt-1", "anthropic", "POST", "/v1/m999", 999)), f.expire(30 * S),
                "every refusal is accounted for: 1 line + 999 folded");
        assertEquals(List.of(), f.expire(31 * S), "a window is reported once");
        assertTrue(f.refused("flooder", "vt-1", "anthropic", "POST", "/v1/messages", 31 * S), "a new window starts with a full line");
    }

    @Test
    void oneTasksFloodNeverFoldsAnotherTasksRefusal() {
        RefusalFolder f = new RefusalFolder(30 * S);
        f.refused("flooder", "vt-1", "anthropic", "POST", "/a", 0);
        for (int i = 0; i < 100; i++) {
            f.refused("flooder", "vt-1", "anthropic", "POST", "/a", S);
        }
        assertTrue(f.refused("victim", "vt-2", "openai", "POST", "/b", 2 * S), "the victim's first refusal gets its own line");
        assertFalse(f.refused("victim", "vt-2", "openai", "POST", "/c", 3 * S));
        List<Folded> out = f.expire(40 * S);
        assertEquals(2, out.size(), out.toString());
        assertTrue(out.contains(new Folded("flooder", "vt-1", "anthropic", "POST", "/a", 100)), out.toString());
        assertTrue(out.contains(new Folded("victim", "vt-2", "openai", "POST", "/c", 1)), out.toString());
    }

    @Test
    void aCountIsNeverLostWhenTheNextWindowStartsBeforeTheSweepOrAtShutdown() {
        RefusalFolder f = new RefusalFolder(30 * S);
        f.refused("t", "vt-1", "anthropic", "GET", "/x", 0);
        f.refused("t", "vt-1", "anthropic", "GET", "/y", S);
        assertTrue(f.refused("t", "vt-1", "anthropic", "GET", "/z", 45 * S), "the window ended: a new full line");
        f.refused("t", "vt-1", "anthropic", "GET", "/w", 46 * S);
        assertEquals(List.of(new Folded("t", "vt-1", "anthropic", "GET", "/y", 1)), f.expire(50 * S),
                "the ended window's count, kept although a new window replaced it");
        assertEquals(List.of(new Folded("t", "vt-1", "anthropic", "GET", "/w", 1)), f.drain(), "at shutdown the open count too");
        assertEquals(List.of(), f.drain());
    }
}
