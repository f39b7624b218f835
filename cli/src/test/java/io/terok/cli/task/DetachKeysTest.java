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

    private static byte[] bytes(Object... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof String text) {
                out.writeBytes(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            } else {
                out.write((Byte) part);
            }
        }
        return out.toByteArray();
    }

    /**
     * The agent's UI queries the terminal while the operator types (Claude Code asks for XTVERSION, device attributes
     * and colours); the terminal's replies arrive in the same input. One landing between ctrl-p and ctrl-q used to turn
     * the detach into ctrl-p and ctrl-q for the agent (Claude Code's history went back one entry; the operator stayed
     * attached).
     */
    @Test
    void aTerminalReplyBetweenTheDetachKeysIsForwardedAndTheDetachStillHappens() {
        String[] replies = {"\u001bP>|tmux 3.3a\u001b\\", "\u001b[?1;2c", "\u001b]11;rgb:0000/0000/0000\u0007", "\u001b[12;40R",
            "\u001b[I", "\u001bOA"};
        for (String reply : replies) {
            DetachKeys.Matcher m = DetachKeys.resolve(Map.of(), null).matcher();
            DetachKeys.Matcher.Result first = feed(m, P);
            assertArrayEquals(new byte[0], first.forward());
            // The reply in pieces, as reads may split it.
            byte[] r = bytes(reply);
            DetachKeys.Matcher.Result head = m.feed(r, 2);
            DetachKeys.Matcher.Result tail = m.feed(java.util.Arrays.copyOfRange(r, 2, r.length), r.length - 2);
            assertFalse(head.detach() || tail.detach());
            assertArrayEquals(r, bytes(new String(head.forward(), java.nio.charset.StandardCharsets.ISO_8859_1),
                    new String(tail.forward(), java.nio.charset.StandardCharsets.ISO_8859_1)), "the reply goes to the agent whole");
            DetachKeys.Matcher.Result end = feed(m, Q);
            assertTrue(end.detach(), "detached despite " + reply.replace("\u001b", "ESC"));
            assertArrayEquals(new byte[0], end.forward());
        }
    }

    @Test
    void aSpecialKeyBetweenTheDetachKeysDoesNotBreakTheMatchButAnOrdinaryKeyDoes() {
        DetachKeys.Matcher m = DetachKeys.resolve(Map.of(), null).matcher();
        DetachKeys.Matcher.Result r = m.feed(bytes(P, "\u001b[Ax"), 5);
        assertFalse(r.detach());
        assertArrayEquals(bytes("\u001b[A", P, "x"), r.forward(), "the held ctrl-p goes out when x shows it was no detach");
    }

    @Test
    void bytesInsideAnEscapeSequenceNeverMatchTheDetachKeys() {
        // "ctrl-a,d": a reply ending in 'd' after a ctrl-a is not a detach; nor is ctrl-p inside a string.
        DetachKeys.Matcher m = DetachKeys.parse("--detach-keys", "ctrl-a,c").matcher();
        DetachKeys.Matcher.Result r = m.feed(bytes("\u001b[?1;2c"), 7);
        assertFalse(r.detach());
        assertArrayEquals(bytes("\u001b[?1;2c"), r.forward());
        assertTrue(feed(m, (byte) 1, (byte) 'c').detach(), "after the reply the keys work again");
    }

    @Test
    void escapeThenTheDetachKeysStillDetaches() {
        // A person who pressed Escape (alone, or cut short by a control key) and then the detach keys.
        DetachKeys.Matcher m = DetachKeys.resolve(Map.of(), null).matcher();
        DetachKeys.Matcher.Result r = m.feed(bytes("\u001b", P, Q), 3);
        assertTrue(r.detach());
        assertArrayEquals(bytes("\u001b"), r.forward());
        DetachKeys.Matcher csi = DetachKeys.resolve(Map.of(), null).matcher();
        assertTrue(csi.feed(bytes("\u001b[1", P, Q), 5).detach(), "a control key cuts a CSI short");
        DetachKeys.Matcher osc = DetachKeys.resolve(Map.of(), null).matcher();
        assertTrue(osc.feed(bytes("\u001b]", P, Q), 4).detach(), "and a string");
    }

    @Test
    void aSequenceHoldingEscapeMatchesEscapeAsAKey() {
        DetachKeys.Matcher m = DetachKeys.parse("--detach-keys", "ctrl-[,q").matcher();
        assertTrue(m.feed(bytes("\u001bq"), 2).detach());
    }
}
