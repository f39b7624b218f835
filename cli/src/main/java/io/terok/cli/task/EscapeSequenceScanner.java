package io.terok.cli.task;

/**
 * Tells, byte by byte, whether keyboard input is inside an escape sequence: a special key (arrows, function keys,
 * Alt-combinations) or a reply the terminal writes into the same input on its own (cursor position, device
 * attributes, XTVERSION, colour queries, focus events), which the agent's UI asks for at any moment. Such a sequence
 * is one unit for the detach matcher: forwarded whole, never part of the detach keys, and never a reason to give up
 * a detach the operator is half-way through typing.
 *
 * <p>The grammar is ECMA-48's as terminals send it: ESC followed by one byte, ESC [ (CSI) up to a final byte
 * 0x40-0x7e, ESC O (SS3) and one byte, ESC ] / P / _ / ^ / X (strings) up to BEL or ESC \. A control byte other than
 * ESC ends any sequence and counts as a key of its own: a person who pressed Escape and then the detach keys still
 * detaches.
 */
final class EscapeSequenceScanner {
    private static final byte ESC = 0x1b;
    private static final byte BEL = 0x07;

    private enum State { NONE, ESC, CSI, SS3, STRING, STRING_ESC }

    private State state = State.NONE;

    /** True when {@code b} belongs to an escape sequence (and has been taken into it); false for a key of its own. */
    boolean consume(byte b) {
        int c = b & 0xff;
        switch (state) {
            case NONE:
                if (b == ESC) {
                    state = State.ESC;
                    return true;
                }
                return false;
            case ESC:
                if (c < 0x20) {
                    return restart(b);
                }
                state = switch (c) {
                    case '[' -> State.CSI;
                    case 'O' -> State.SS3;
                    case ']', 'P', '_', '^', 'X' -> State.STRING;
                    default -> State.NONE;
                };
                return true;
            case CSI:
                if (c < 0x20) {
                    return restart(b);
                }
                if (c >= 0x40 && c <= 0x7e) {
                    state = State.NONE;
                }
                return true;
            case SS3:
                if (c < 0x20) {
                    return restart(b);
                }
                state = State.NONE;
                return true;
            case STRING:
                if (b == BEL) {
                    state = State.NONE;
                    return true;
                }
                if (b == ESC) {
                    state = State.STRING_ESC;
                    return true;
                }
                if (c < 0x20) {
                    return restart(b);
                }
                return true;
            case STRING_ESC:
                if (c == '\\') {
                    state = State.NONE;
                    return true;
                }
                // Not a string terminator: the ESC began a new sequence, which this byte continues.
                state = State.ESC;
                return consume(b);
            default:
                throw new IllegalStateException(state.name());
        }
    }

    /** A control byte cut the sequence short: it is a key of its own, or (ESC) the start of the next sequence. */
    private boolean restart(byte b) {
        state = State.NONE;
        return consume(b);
    }
}
