package io.terok.scriptedmodel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads a script from YAML (or JSON, which is YAML): a list of steps, each a one-key map.
 * <pre>
 * - shell: echo terok-ok &gt; proof.txt
 * - text: I wrote proof.txt.
 * - hang: true
 * </pre>
 */
public final class ScriptFile {

    private ScriptFile() {
    }

    public static Script read(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    /** {@code source} names the text in error messages. */
    public static Script parse(String text, String source) {
        Object document;
        try {
            document = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (YAMLException e) {
            throw new IllegalArgumentException(source + ": not valid YAML or JSON: " + e.getMessage(), e);
        }
        if (document instanceof Map<?, ?> map && map.containsKey("steps")) {
            document = map.get("steps");
        }
        if (!(document instanceof List<?> list) || list.isEmpty()) {
            throw new IllegalArgumentException(source + ": a script is a non-empty list of steps, "
                    + "each one of {shell: COMMAND}, {text: ANSWER} or {hang: true}");
        }
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            steps.add(step(list.get(i), source + ": step " + (i + 1)));
        }
        return Script.of(steps);
    }

    private static Step step(Object item, String where) {
        if (!(item instanceof Map<?, ?> map) || map.size() != 1) {
            throw new IllegalArgumentException(where + ": expected one of {shell: COMMAND}, {text: ANSWER} or "
                    + "{hang: true}, found " + describe(item));
        }
        Map.Entry<?, ?> entry = map.entrySet().iterator().next();
        String kind = String.valueOf(entry.getKey());
        Object value = entry.getValue();
        switch (kind) {
            case "shell" -> {
                if (!(value instanceof String command) || command.isBlank()) {
                    throw new IllegalArgumentException(where + ": shell needs a command string");
                }
                return Step.shell(command);
            }
            case "text" -> {
                if (value == null) {
                    throw new IllegalArgumentException(where + ": text needs an answer string");
                }
                return Step.text(String.valueOf(value));
            }
            case "hang" -> {
                if (!Boolean.TRUE.equals(value)) {
                    throw new IllegalArgumentException(where + ": write hang: true");
                }
                return Step.hang();
            }
            default -> throw new IllegalArgumentException(where + ": unknown step kind '" + kind
                    + "'; use shell, text or hang");
        }
    }

    private static String describe(Object item) {
        if (item == null) {
            return "nothing";
        }
        String text = String.valueOf(item);
        return text.length() > 80 ? text.substring(0, 80) + "…" : text;
    }
}
