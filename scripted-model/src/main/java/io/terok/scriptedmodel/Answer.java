package io.terok.scriptedmodel;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What the model says to one request, before a protocol puts it on the wire. */
sealed interface Answer permits Answer.Text, Answer.ToolCall {

    record Text(String text) implements Answer {
    }

    record ToolCall(String tool, ObjectNode arguments) implements Answer {
    }
}
