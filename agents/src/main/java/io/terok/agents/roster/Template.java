package io.terok.agents.roster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One piece of text from an agent definition with {@code {name}} placeholders, where name is one of {@link #NAMES}.
 * Any other brace is literal text, so JSON and TOML content needs no escaping. Rendering substitutes values into the
 * text and nothing else: the result is one string, which becomes
 * one argv element, one environment value or one file's content. No shell ever sees it, so a prompt full of quotes,
 * {@code $(...)} or newlines stays exactly what the user typed.
 */
public final class Template {
    /** Every name a definition may use; an unknown name is a load error, so a typo never renders as nothing. */
    public static final Set<String> NAMES = Set.of(
            "prompt",      // the task's prompt (headless and follow-up)
            "model",       // the model the user chose, as the agent spells it
            "provider",    // the provider id (anthropic, openai, ...)
            "broker_url",  // the broker's origin for this provider, as the container reaches it (no trailing slash)
            "token",       // the phantom token the broker swaps for the real key
            "token_env",   // the name of the environment variable the provider's token goes in
            "home",        // the agent user's home directory in the container
            "config_dir",  // the agent's primary writable configuration directory in the container
            "workspace");  // the task's working tree in the container

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)\\}");

    /** How substituted values are escaped: not at all (argv, env), or for a TOML or JSON basic string. */
    public enum Escape {
        NONE, TOML, JSON
    }

    private final String source;
    private final List<Object> parts; // String literals and Name references, in order
    private final Set<String> names;

    private record Name(String name) {
    }

    private Template(String source, List<Object> parts, Set<String> names) {
        this.source = source;
        this.parts = parts;
        this.names = names;
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} naming an unknown placeholder. */
    public static Template parse(String text) {
        List<Object> parts = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        StringBuilder literal = new StringBuilder();
        Matcher m = PLACEHOLDER.matcher(text);
        int last = 0;
        while (m.find()) {
            literal.append(text, last, m.start());
            last = m.end();
            String name = m.group(1);
            if (!NAMES.contains(name)) {
                throw new IllegalArgumentException("unknown placeholder {" + name + "} (known: "
                        + String.join(", ", NAMES.stream().sorted().toList()) + ")");
            }
            if (literal.length() > 0) {
                parts.add(literal.toString());
                literal.setLength(0);
            }
            parts.add(new Name(name));
            names.add(name);
        }
        literal.append(text, last, text.length());
        if (literal.length() > 0) {
            parts.add(literal.toString());
        }
        return new Template(text, List.copyOf(parts), Collections.unmodifiableSet(names));
    }

    /** The placeholder names this template uses. */
    public Set<String> names() {
        return names;
    }

    public String source() {
        return source;
    }

    /** True when every placeholder has a non-empty value in {@code values}. */
    public boolean renderable(Map<String, String> values) {
        for (String n : names) {
            String v = values.get(n);
            if (v == null || v.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    public String render(Map<String, String> values) {
        return render(values, Escape.NONE);
    }

    /** The text with every placeholder replaced; a missing or empty value is an error naming it. */
    public String render(Map<String, String> values, Escape escape) {
        StringBuilder b = new StringBuilder();
        for (Object part : parts) {
            if (part instanceof Name n) {
                String v = values.get(n.name());
                if (v == null || v.isEmpty()) {
                    throw new IllegalArgumentException("no value for {" + n.name() + "}");
                }
                b.append(escape == Escape.NONE ? v : escapeString(v));
            } else {
                b.append((String) part);
            }
        }
        return b.toString();
    }

    /** Escapes for the inside of a double-quoted TOML basic string or JSON string (the rules coincide here). */
    static String escapeString(String v) {
        StringBuilder b = new StringBuilder(v.length() + 8);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return source;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Template t && t.source.equals(source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }
}
