package io.terok.console.terminal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The page's control messages on the terminal's WebSocket (text frames; keystrokes travel as binary frames, raw):
 * {@code {"start":{"cols":80,"rows":24}}} once, first, then {@code {"resize":{"cols":..,"rows":..}}} whenever the page's
 * terminal changes size, {@code {"detach":true}} to leave the shell running. Sizes follow runtime's WindowSize rule
 * (1..10000 each), checked here so a bad one is refused with its field named before it reaches runtime.
 */
sealed interface TerminalMessage {
    /** The terminal's size at the start: the shell is started with it. */
    record Start(int cols, int rows) implements TerminalMessage {
    }

    /** The page's terminal was resized. */
    record Resize(int cols, int rows) implements TerminalMessage {
    }

    /** Leave the shell running in the task. */
    record Detach() implements TerminalMessage {
    }

    int MAX_SIZE = 10_000;
    /** The longest control message: they are all tiny. */
    int MAX_LENGTH = 256;
    ObjectMapper JSON = new ObjectMapper();

    /** The message, or IllegalArgumentException naming what was wrong. */
    static TerminalMessage parse(String text) {
        if (text == null || text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("a control message is JSON of at most " + MAX_LENGTH + " characters");
        }
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("a control message is JSON: start, resize or detach");
        }
        if (n == null || !n.isObject() || n.size() != 1) {
            throw new IllegalArgumentException("a control message is one of {\"start\":..}, {\"resize\":..}, {\"detach\":true}");
        }
        if (n.has("start")) {
            return new Start(size(n.get("start"), "start.cols", "cols"), size(n.get("start"), "start.rows", "rows"));
        }
        if (n.has("resize")) {
            return new Resize(size(n.get("resize"), "resize.cols", "cols"), size(n.get("resize"), "resize.rows", "rows"));
        }
        if (n.has("detach") && n.get("detach").asBoolean(false)) {
            return new Detach();
        }
        throw new IllegalArgumentException("a control message is one of {\"start\":..}, {\"resize\":..}, {\"detach\":true}");
    }

    private static int size(JsonNode parent, String field, String key) {
        JsonNode v = parent == null ? null : parent.get(key);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1 || v.asInt() > MAX_SIZE) {
            throw new IllegalArgumentException(field + " must be a whole number from 1 to " + MAX_SIZE);
        }
        return v.asInt();
    }
}
