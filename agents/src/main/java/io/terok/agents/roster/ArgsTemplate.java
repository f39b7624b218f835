package io.terok.agents.roster;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A command line as data: a list whose elements are one argument each, or an optional group of arguments
 * ({@code [--model, "{model}"]}) that is left out whole when one of its placeholders has no value. Renders to an
 * argument list, never to a shell string.
 */
public record ArgsTemplate(List<Element> elements) {
    /** One argument, or a group of arguments that appear together or not at all. */
    public record Element(List<Template> args, boolean optional) {
        public Element {
            args = List.copyOf(args);
        }
    }

    public ArgsTemplate {
        elements = List.copyOf(elements);
    }

    public static ArgsTemplate of(String... args) {
        List<Element> e = new ArrayList<>();
        for (String a : args) {
            e.add(new Element(List.of(Template.parse(a)), false));
        }
        return new ArgsTemplate(e);
    }

    public Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        for (Element e : elements) {
            for (Template t : e.args()) {
                names.addAll(t.names());
            }
        }
        return names;
    }

    /** The argument list; a required argument whose placeholder has no value is an error naming it. */
    public List<String> render(Map<String, String> values) {
        List<String> argv = new ArrayList<>();
        for (Element e : elements) {
            if (e.optional() && !e.args().stream().allMatch(t -> t.renderable(values))) {
                continue;
            }
            for (Template t : e.args()) {
                argv.add(t.render(values));
            }
        }
        return argv;
    }
}
