package io.terok.cli.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.cli.core.CliException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DetachKeysTest {
    private static final byte P = 0x10;
    private static final byte Q = 0x11;

    private static DetachKeys.Matcher.Result feed(DetachKeys.Matcher m, byte... bytes) {
        return m.feed(bytes, bytes.length);
    }

    @Test
    void theDefaultSequenceDetachesAndIsNeverForwarded() {
        DetachKeys.Matcher m = DetachKeys.resolve(Map.of(), null).matcher();
        DetachKeys.Matcher.Result r = feed(m, (byte) 'l', (byte) 's', P, Q, (byte) 'x');
        assertTrue(r.detach());
        assertArrayEquals(new byte[] {'l', 's'}, r.forward());
    }

    @Test
    void aSequenceSplitAcrossReadsStillDetaches() {
        DetachKeys.Matcher m = DetachKeys.parse("--detach-keys", "ctrl-p,ctrl-q").matcher();
        DetachKeys.Matcher.Result first = feed(m, (byte) 'a', P);
        assertFalse(first.detach());
        assertArrayEquals(new byte[] {'a'}, first.forward(), "ctrl-p is held until the next key");
        assertTrue(feed(m, Q).detach());
    }

    @Test
    void aHeldKeyThatDoesNotCompleteTheSequenceIsForwardedAsTyped() {
        DetachKeys.Matcher m = DetachKeys.parse("--detach-keys", "ctrl-p,ctrl-q").matcher();
        feed(m, P);
        DetachKeys.Matcher.Result r = feed(m, (byte) 'k');
        assertFalse(r.detach());
        assertArrayEquals(new byte[] {P, 'k'}, r.forward());
        // ctrl-p ctrl-p ctrl-q: the first ctrl-p goes out, the second starts the sequence that then completes.
        DetachKeys.Matcher.Result twice = feed(m, P, P, Q);
        assertTrue(twice.detach());
        assertArrayEquals(new byte[] {P}, twice.forward());
    }

    @Test
    void otherKeysAndNoneAreAccepted() {
        DetachKeys.Matcher m = DetachKeys.parse("--detach-keys", "ctrl-a,d").matcher();
        assertTrue(feed(m, (byte) 1, (byte) 'd').detach());
        assertTrue(DetachKeys.parse("--detach-keys", "ctrl-\\").matcher().feed(new byte[] {0x1c}, 1).detach());
        DetachKeys none = DetachKeys.resolve(Map.of("TEROK_DETACH_KEYS", ""), null);
        assertFalse(none.enabled());
        DetachKeys.Matcher.Result r = feed(none.matcher(), P, Q);
        assertFalse(r.detach());
        assertArrayEquals(new byte[] {P, Q}, r.forward());
    }

    @Test
    void aKeyThatIsNoKeyIsAnErrorNamingTheOption() {
        CliException e = assertThrows(CliException.class, () -> DetachKeys.parse("--detach-keys", "ctrl-p,ctrl-1"));
        assertTrue(e.getMessage().contains("--detach-keys") && e.getMessage().contains("'ctrl-1' is not a key"), e.getMessage());
        CliException env = assertThrows(CliException.class, () -> DetachKeys.resolve(Map.of("TEROK_DETACH_KEYS", "ctrl-p,,x"), null));
        assertTrue(env.getMessage().contains("TEROK_DETACH_KEYS"), env.getMessage());
    }
}
