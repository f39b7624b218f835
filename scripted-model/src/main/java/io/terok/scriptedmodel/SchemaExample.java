package io.terok.scriptedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * A plausible value for a JSON schema: the schema's default, else its first enum value, else a plain value of its
 * type (objects get every declared property). Used for a tool's extra required parameters and for auxiliary
 * requests that ask for structured output (Gemini CLI's routing classifier wants its JSON, or it retries).
 */
final class SchemaExample {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final int MAX_DEPTH = 6;

    private SchemaExample() {
    }

    static JsonNode of(String name, JsonNode schema) {
        return of(name, schema, 0);
    }

    private static JsonNode of(String name, JsonNode schema, int depth) {
        if (schema == null || !schema.isObject()) {
            return JSON.textNode("scripted");
        }
        if (schema.has("default")) {
            return schema.get("default");
        }
        JsonNode options = schema.get("enum");
        if (options != null && options.isArray() && !options.isEmpty()) {
            return options.get(0);
        }
        for (String union : new String[] {"anyOf", "oneOf"}) {
            JsonNode choices = schema.get(union);
            if (choices != null && choices.isArray() && !choices.isEmpty()) {
                return of(name, choices.get(0), depth);
            }
        }
        String type = type(schema);
        if (type == null) {
            type = schema.has("properties") ? "object" : "string";
        }
        return switch (type) {
            case "integer" -> JSON.numberNode(bounded(schema, 60));
            case "number" -> JSON.numberNode(bounded(schema, 60));
            case "boolean" -> JSON.booleanNode(false);
            case "array" -> JSON.arrayNode();
            case "object" -> {
                ObjectNode object = JSON.objectNode();
                JsonNode properties = schema.get("properties");
                if (properties != null && depth < MAX_DEPTH) {
                    for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> property = it.next();
                        object.set(property.getKey(), of(property.getKey(), property.getValue(), depth + 1));
                    }
                }
                yield object;
            }
            default -> JSON.textNode(name != null && name.toLowerCase(Locale.ROOT).contains("description")
                    ? "Runs the scripted command" : "scripted");
        };
    }

    private static int bounded(JsonNode schema, int value) {
        if (schema.has("maximum") && schema.get("maximum").asInt() < value) {
            value = schema.get("maximum").asInt();
        }
        if (schema.has("minimum") && schema.get("minimum").asInt() > value) {
            value = schema.get("minimum").asInt();
        }
        return value;
    }

    /** The schema's type in lower case (Gemini writes "STRING"); the first non-null one of a type union. */
    static String type(JsonNode schema) {
        if (schema == null) {
            return null;
        }
        JsonNode type = schema.get("type");
        if (type == null) {
            return null;
        }
        if (type.isArray()) {
            for (JsonNode t : type) {
                String name = t.asText().toLowerCase(Locale.ROOT);
                if (!name.equals("null")) {
                    return name;
                }
            }
            return null;
        }
        return type.asText().toLowerCase(Locale.ROOT);
    }
}
