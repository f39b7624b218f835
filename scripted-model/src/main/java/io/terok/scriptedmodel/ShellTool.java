package io.terok.scriptedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Finds the shell-like tool among the tools a request offers and builds its arguments from the tool's own schema,
 * so one script drives every agent: each names and shapes its shell tool differently (Claude Code {@code Bash
 * {command}}, OpenCode {@code bash {command, description}}, Gemini CLI {@code run_shell_command {command}}, Codex
 * {@code shell {command: [argv]}} or {@code exec_command {cmd}}, ...).
 */
final class ShellTool {

    /** A tool as the request declared it: its name and JSON-schema of parameters (may be missing). */
    record Spec(String name, JsonNode schema) {
    }

    /** Known shell tool names, most specific first; matched case-insensitively. */
    private static final List<String> NAMES = List.of(
            "bash", "run_shell_command", "shell", "shell_command", "exec_command", "local_shell",
            "execute_command", "run_terminal_cmd", "terminal", "container.exec");

    /** Parameter names that carry the command line itself. */
    private static final List<String> COMMAND_PARAMETERS = List.of("command", "cmd", "script");

    private ShellTool() {
    }

    static Optional<Spec> pick(List<Spec> tools) {
        for (String wanted : NAMES) {
            for (Spec tool : tools) {
                if (tool.name() != null && tool.name().toLowerCase(Locale.ROOT).equals(wanted)) {
                    return Optional.of(tool);
                }
            }
        }
        return Optional.empty();
    }

    /** The call's arguments: the command in the tool's command parameter, and a plausible value for every other required one. */
    static ObjectNode arguments(Spec tool, String command) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode args = json.objectNode();
        JsonNode properties = tool.schema() == null ? null : tool.schema().get("properties");
        String commandParameter = "command";
        if (properties != null) {
            for (String candidate : COMMAND_PARAMETERS) {
                if (properties.has(candidate)) {
                    commandParameter = candidate;
                    break;
                }
            }
        }
        JsonNode commandSchema = properties == null ? null : properties.get(commandParameter);
        if ("array".equals(type(commandSchema))) {
            // An argv-shaped command (Codex's classic shell tool) runs through a shell so pipes and redirections work.
            args.set(commandParameter, json.arrayNode().add("bash").add("-lc").add(command));
        } else {
            args.put(commandParameter, command);
        }
        JsonNode required = tool.schema() == null ? null : tool.schema().get("required");
        if (required != null && required.isArray() && properties != null) {
            for (JsonNode name : required) {
                String parameter = name.asText();
                if (!args.has(parameter)) {
                    args.set(parameter, filler(parameter, properties.get(parameter)));
                }
            }
        }
        return args;
    }

    private static JsonNode filler(String parameter, JsonNode schema) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        if (schema == null) {
            return json.textNode("scripted");
        }
        if (schema.has("default")) {
            return schema.get("default");
        }
        JsonNode options = schema.get("enum");
        if (options != null && options.isArray() && !options.isEmpty()) {
            return options.get(0);
        }
        String type = type(schema);
        if (type == null) {
            return json.textNode("scripted");
        }
        return switch (type) {
            case "integer", "number" -> json.numberNode(60);
            case "boolean" -> json.booleanNode(false);
            case "array" -> json.arrayNode();
            case "object" -> json.objectNode();
            default -> json.textNode(parameter.toLowerCase(Locale.ROOT).contains("description")
                    ? "Runs the scripted command" : "scripted");
        };
    }

    /** The schema's type in lower case (Gemini writes "STRING"); the first non-null one of a type union. */
    private static String type(JsonNode schema) {
        if (schema == null) {
            return null;
        }
        JsonNode type = schema.get("type");
        if (type == null) {
            return null;
        }
        if (type.isArray()) {
            for (Iterator<JsonNode> it = type.elements(); it.hasNext(); ) {
                String t = it.next().asText().toLowerCase(Locale.ROOT);
                if (!t.equals("null")) {
                    return t;
                }
            }
            return null;
        }
        return type.asText().toLowerCase(Locale.ROOT);
    }
}
