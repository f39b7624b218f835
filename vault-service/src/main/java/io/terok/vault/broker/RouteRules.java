package io.terok.vault.broker;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a provider's credential may be used for: method + path rules checked by the broker before the credential is
 * attached. Each rule reads {@code NAME: allow|deny METHODS PATH}: METHODS is {@code *} or methods joined by {@code |}
 * ({@code PUT|PATCH}); PATH is the upstream path (the route's base path included, no query) where {@code *} is one
 * segment and a final {@code /**} any number of segments, none included. The first rule that matches decides; when a
 * route has rules and none matches, the request is refused (the rule named {@value #DEFAULT_DENY}). A route without
 * rules forwards everything (the model APIs: the whole API is what the key is for).
 *
 * <p>The path is matched in a normal form that can only make a rule match more often than the provider would see it,
 * never less: percent-escapes decoded, lower case, empty and {@code .} segments dropped. (Encoded slashes and
 * {@code ..} segments never get here: the broker refuses them first.) So a write the rules refuse cannot be
 * re-spelled ({@code cont%65nts}, {@code //contents}, {@code CONTENTS}) into one they allow, and since the shipped
 * rules allow writes by name only, any spelling they do not know falls to the default deny.
 */
public final class RouteRules {
    public static final String DEFAULT_DENY = "default-deny";

    /** One rule; {@code text} is how it was written, for the refusal and the listing. */
    public record Rule(String name, boolean allow, Set<String> methods, List<String> segments, boolean rest, String text) {
        boolean matches(String method, List<String> path) {
            if (!methods.contains("*") && !methods.contains(method)) {
                return false;
            }
            if (rest ? path.size() < segments.size() : path.size() != segments.size()) {
                return false;
            }
            for (int i = 0; i < segments.size(); i++) {
                String s = segments.get(i);
                if (!s.equals("*") && !s.equals(path.get(i))) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The decision: the rule that matched (or the default deny) and whether it lets the request through. */
    public record Verdict(boolean allowed, String rule, String text) {
    }

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");
    private static final Pattern METHOD = Pattern.compile("[A-Z]{1,20}");
    private static final Verdict ALLOW_ALL = new Verdict(true, "", "");

    private final List<Rule> rules;

    private RouteRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static final RouteRules NONE = new RouteRules(List.of());

    /**
     * Parses rules as written in configuration; {@code key} names the setting in errors
     * ({@code terok.vault.providers.NAME.rules}). Refused: a malformed rule, a name used twice.
     */
    public static RouteRules parse(String key, List<String> lines) {
        List<Rule> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Rule r = parseOne(key + "[" + i + "]", lines.get(i));
            if (out.stream().anyMatch(o -> o.name().equals(r.name()))) {
                throw new IllegalArgumentException(key + "[" + i + "]: the rule name '" + r.name() + "' is used twice; give each rule its own name");
            }
            out.add(r);
        }
        return new RouteRules(out);
    }

    private static Rule parseOne(String key, String line) {
        String form = "write it as 'NAME: allow|deny METHODS PATH', e.g. 'read: allow GET|HEAD /**'";
        String text = line == null ? "" : line.trim();
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(key + ": no rule name in '" + text + "'; " + form);
        }
        String name = text.substring(0, colon).trim();
        if (!NAME.matcher(name).matches() || name.equals(DEFAULT_DENY)) {
            throw new IllegalArgumentException(key + ": the rule name '" + name + "' must match " + NAME.pattern()
                    + " and not be " + DEFAULT_DENY + "; " + form);
        }
        String[] parts = text.substring(colon + 1).trim().split("\\s+");
        if (parts.length != 3) {
            throw new IllegalArgumentException(key + ": rule '" + name + "' needs exactly an action, methods and a path; " + form);
        }
        boolean allow;
        switch (parts[0].toLowerCase(Locale.ROOT)) {
            case "allow" -> allow = true;
            case "deny" -> allow = false;
            default -> throw new IllegalArgumentException(key + ": rule '" + name + "': the action must be allow or deny, got '"
                    + parts[0] + "'; " + form);
        }
        Set<String> methods = new java.util.LinkedHashSet<>();
        for (String m : parts[1].split("\\|", -1)) {
            String u = m.toUpperCase(Locale.ROOT);
            if (!u.equals("*") && !METHOD.matcher(u).matches()) {
                throw new IllegalArgumentException(key + ": rule '" + name + "': '" + m + "' is not an HTTP method (or *); " + form);
            }
            methods.add(u);
        }
        String path = parts[2];
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException(key + ": rule '" + name + "': the path must start with /, got '" + path + "'; " + form);
        }
        boolean rest = path.equals("/**") || path.endsWith("/**");
        String fixed = rest ? path.substring(0, path.length() - 3) : path;
        List<String> segments = new ArrayList<>();
        for (String s : fixed.split("/")) {
            if (s.isEmpty()) {
                continue;
            }
            if (s.contains("**") || (s.contains("*") && !s.equals("*")) || s.contains("%") || s.equals(".") || s.equals("..")) {
                throw new IllegalArgumentException(key + ": rule '" + name + "': path segment '" + s
                        + "' is not allowed (a segment is a literal or *, and only a final /** spans segments); " + form);
            }
            segments.add(s.toLowerCase(Locale.ROOT));
        }
        return new Rule(name, allow, Set.copyOf(methods), List.copyOf(segments), rest, name + ": " + (allow ? "allow" : "deny")
                + " " + String.join("|", methods) + " " + path);
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    public List<Rule> rules() {
        return rules;
    }

    /**
     * Decides a request: {@code rawPath} is the upstream path as it will be sent (percent-escapes and all, no query).
     * A path whose escapes cannot be decoded is refused by the default deny when there are rules.
     */
    public Verdict check(String method, String rawPath) {
        if (rules.isEmpty()) {
            return ALLOW_ALL;
        }
        List<String> path = normalise(rawPath);
        if (path != null) {
            String m = method.toUpperCase(Locale.ROOT);
            for (Rule r : rules) {
                if (r.matches(m, path)) {
                    return new Verdict(r.allow(), r.name(), r.text());
                }
            }
        }
        return new Verdict(false, DEFAULT_DENY, DEFAULT_DENY + ": no rule of this route allows it");
    }

    /** Decoded, lower-cased segments without empty and "." ones; null for a malformed escape. */
    static List<String> normalise(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            String d = decode(s);
            if (d == null) {
                return null;
            }
            if (d.isEmpty() || d.equals(".")) {
                continue;
            }
            out.add(d.toLowerCase(Locale.ROOT));
        }
        return out;
    }

    private static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                b.write(hi * 16 + lo);
                i += 2;
            } else {
                byte[] bytes = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                b.write(bytes, 0, bytes.length);
            }
        }
        return b.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** GitHub's REST API: reading and issue/PR comments; every write to git data, contents, refs, merges, releases refused. */
    public static final List<String> GITHUB = List.of(
            "contents: deny POST|PUT|PATCH|DELETE /repos/*/*/contents/**",
            "git-data: deny POST|PUT|PATCH|DELETE /repos/*/*/git/**",
            "merges: deny POST|PUT|PATCH|DELETE /repos/*/*/merges/**",
            "pr-merge: deny POST|PUT|PATCH|DELETE /repos/*/*/pulls/*/merge/**",
            "pr-update-branch: deny POST|PUT|PATCH|DELETE /repos/*/*/pulls/*/update-branch/**",
            "branches: deny POST|PUT|PATCH|DELETE /repos/*/*/branches/**",
            "releases: deny POST|PUT|PATCH|DELETE /repos/*/*/releases/**",
            "read: allow GET|HEAD /**",
            "issue-comments: allow POST /repos/*/*/issues/*/comments",
            "issue-comment-edits: allow PATCH /repos/*/*/issues/comments/*",
            "pr-review-comments: allow POST /repos/*/*/pulls/*/comments",
            "pr-review-comment-edits: allow PATCH /repos/*/*/pulls/comments/*");

    /** GitLab's REST API (v4 under /api): reading and issue/MR notes; repository writes, merges and releases refused. */
    public static final List<String> GITLAB = List.of(
            "repository: deny POST|PUT|PATCH|DELETE /api/v4/projects/*/repository/**",
            "merges: deny POST|PUT|PATCH|DELETE /api/v4/projects/*/merge_requests/*/merge/**",
            "mr-rebase: deny POST|PUT|PATCH|DELETE /api/v4/projects/*/merge_requests/*/rebase/**",
            "releases: deny POST|PUT|PATCH|DELETE /api/v4/projects/*/releases/**",
            "read: allow GET|HEAD /**",
            "issue-notes: allow POST /api/v4/projects/*/issues/*/notes",
            "mr-notes: allow POST /api/v4/projects/*/merge_requests/*/notes",
            "mr-discussions: allow POST /api/v4/projects/*/merge_requests/*/discussions");
}
