package io.terok.scriptedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /**
     * A tool as the request declared it: its name and JSON schema of parameters (may be missing); a freeform tool
     * (OpenAI's "custom" tools) takes raw text instead of JSON arguments and has a description to go by.
     */
    record Spec(String name, JsonNode schema, boolean freeform, String description) {
        Spec(String name, JsonNode schema) {
            this(name, schema, false, "");
        }
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
                if (!tool.freeform() && tool.name() != null && tool.name().toLowerCase(Locale.ROOT).equals(wanted)) {
                    return Optional.of(tool);
                }
            }
        }
        // Codex's "code mode" (its default for some models) offers no shell function, only a freeform `exec` tool
        // that runs JavaScript whose `tools` object holds the nested tools, exec_command among them.
        for (Spec tool : tools) {
            if (tool.freeform() && "exec".equals(tool.name()) && tool.description().contains("exec_command")) {
                return Optional.of(tool);
            }
        }
        return Optional.empty();
    }

    /** The call of {@code tool} that runs {@code command}. */
    static Answer.ToolCall call(Spec tool, String command) {
        if (tool.freeform()) {
            String source = "const result = await tools.exec_command({\"cmd\": "
                    + JsonNodeFactory.instance.textNode(command) + "});\ntext(result.output ?? result);\n";
            return new Answer.ToolCall(tool.name(), null, source);
        }
        return new Answer.ToolCall(tool.name(), arguments(tool, command), null);
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
        if ("array".equals(SchemaExample.type(commandSchema))) {
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
                    args.set(parameter, SchemaExample.of(parameter, properties.get(parameter)));
                }
            }
        }
        return args;
    }
}
