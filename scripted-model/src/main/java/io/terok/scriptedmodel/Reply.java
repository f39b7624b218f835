package io.terok.scriptedmodel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Writes one response: a whole JSON body, or a server-sent event stream flushed event by event as the real APIs stream. */
final class Reply {

    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpExchange exchange;
    private OutputStream stream;

    Reply(HttpExchange exchange) {
        this.exchange = exchange;
    }

    void json(int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("request-id", Ids.next("req_"));
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Starts a chunked {@code text/event-stream} response. */
    void startEvents() throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("request-id", Ids.next("req_"));
        exchange.sendResponseHeaders(200, 0);
        stream = exchange.getResponseBody();
    }

    /** One event; {@code name} null for streams without event names (Chat Completions, Gemini). */
    void event(String name, JsonNode data) throws IOException {
        raw(name, JSON.writeValueAsString(data));
    }

    void raw(String name, String data) throws IOException {
        StringBuilder text = new StringBuilder();
        if (name != null) {
            text.append("event: ").append(name).append('\n');
        }
        text.append("data: ").append(data).append("\n\n");
        stream.write(text.toString().getBytes(StandardCharsets.UTF_8));
        stream.flush();
    }

    void endEvents() throws IOException {
        stream.close();
    }

    static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
