package io.terok.scriptedmodel;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What the model says to one request, before a protocol puts it on the wire. */
sealed interface Answer permits Answer.Text, Answer.ToolCall {

    record Text(String text) implements Answer {
    }

    /** A call of a tool with JSON {@code arguments}, or of a freeform tool with raw text {@code input}. */
    record ToolCall(String tool, ObjectNode arguments, String input) implements Answer {
        boolean freeform() {
            return input != null;
        }
    }
}
