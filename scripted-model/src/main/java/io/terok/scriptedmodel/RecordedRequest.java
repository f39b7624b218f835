package io.terok.scriptedmodel;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One request as the server received it. {@code path} is without the query string ({@code query} holds it, or "").
 * Header names are looked up case-insensitively.
 */
public record RecordedRequest(String method, String path, String query, Map<String, List<String>> headers,
                              String body) {

    public RecordedRequest {
        TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> copy.merge(name, List.copyOf(values), (a, b) -> {
            List<String> joined = new java.util.ArrayList<>(a);
            joined.addAll(b);
            return List.copyOf(joined);
        }));
        headers = Collections.unmodifiableMap(copy);
        query = query == null ? "" : query;
    }

    /** The first value of the header, or null when absent. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
