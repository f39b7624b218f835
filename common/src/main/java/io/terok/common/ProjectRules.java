package io.terok.common;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The rules a project's settings obey, wherever they come from: runtime's project file ({@code ProjectFile}) and the
 * CLI's {@code terok project wizard} check each field with these, so an answer the wizard takes is one the file takes.
 * Each check names the field it was given ({@code upstream.url}, or a file's {@code /path/x.yaml: upstream.url}) in a
 * {@link ServiceException.Kind#INVALID} and returns the value as it is to be kept.
 */
public final class ProjectRules {
    /** Roster ids (the agents module's rule) or "all". */
    public static final Pattern AGENT = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    public static final Pattern PROVIDER = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    /** Model names as agents spell them: "claude-sonnet-4-5", "gpt-5.1-codex", "openai/gpt-4o", "model:tag". */
    public static final Pattern MODEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}");
    /** An image reference: [registry[:port]/]path[:tag][@sha256:...], lower case repository. */
    public static final Pattern IMAGE = Pattern.compile(
            "([a-z0-9.-]+(:[0-9]{1,5})?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?");
    public static final Pattern PROFILE = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    /** A domain name, an IPv4/IPv6 address or a CIDR; shield checks it again before it reaches nft. */
    public static final Pattern ALLOW = Pattern.compile("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}|[0-9.]{7,15}(/[0-9]{1,2})?|[0-9a-f:]{2,39}(/[0-9]{1,3})?");
    public static final Pattern ENV_NAME = Pattern.compile("[A-Z_][A-Z0-9_]{0,127}");
    public static final Pattern GPU = Pattern.compile("[a-z0-9.-]+/[a-z0-9.-]+=[A-Za-z0-9_.:-]+");
    public static final Pattern MEMORY = Pattern.compile("([0-9]{1,12})([kmg]?)b?");
    public static final Pattern EMAIL = Pattern.compile("[^\\s<>@]{1,64}@[^\\s<>@]{1,255}");

    private ProjectRules() {
    }

    /** The upstream URL: the forms the gate takes (it checks them again, and reaches the upstream). */
    public static String upstreamUrl(String field, String url) {
        if (url == null || url.isEmpty()) {
            throw ServiceException.invalid(field, "required: the repository the project's tasks work on");
        }
        boolean scpLike = url.matches("[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\\s:]+");
        boolean known = url.startsWith("file:///") || url.startsWith("https://") || url.startsWith("ssh://")
                || url.startsWith("http://") || scpLike;
        if (!known || url.length() > 2048 || url.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
            throw ServiceException.invalid(field, "'" + Printable.line(url, 120)
                    + "' is not a file:///, https://, ssh:// or user@host:path URL");
        }
        return url;
    }

    /** The default branch: a git branch name; {@code refs/heads/} is dropped. */
    public static String branch(String field, String branch) {
        if (!Ids.isBranch(branch)) {
            throw ServiceException.invalid(field, "'" + Printable.line(branch, 80) + "' is not a valid git branch name");
        }
        return branch.startsWith("refs/heads/") ? branch.substring(11) : branch;
    }

    /** One value of a pattern's shape (agent, provider, model, image, profile, ...). */
    public static String matching(String field, String value, Pattern p) {
        if (value == null || !p.matcher(value).matches()) {
            throw ServiceException.invalid(field, "'" + Printable.line(String.valueOf(value), 80) + "' does not match " + p.pattern());
        }
        return value;
    }

    /** A list (each item stripped, duplicates dropped), every item of the pattern's shape. */
    public static List<String> list(String field, List<?> items, Pattern p) {
        List<String> out = new ArrayList<>();
        for (Object o : items) {
            String s = String.valueOf(o).strip();
            matching(field, s, p);
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** A comma-separated list, as a person types it. */
    public static List<String> commaList(String field, String text, Pattern p) {
        return text == null || text.isBlank() ? List.of() : list(field, List.of(text.split(",")), p);
    }

    /** The image family: deb or rpm. */
    public static String family(String field, String family) {
        if (!"deb".equals(family) && !"rpm".equals(family)) {
            throw ServiceException.invalid(field, "'" + Printable.line(String.valueOf(family), 40) + "' is not deb or rpm");
        }
        return family;
    }

    /** The author name of the agent's commits: what git takes in an identity. */
    public static String gitName(String field, String name) {
        if (name == null || name.isBlank() || name.length() > 128
                || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '<' || c == '>')) {
            throw ServiceException.invalid(field, "a person's name: 1-128 printable characters, no < or >");
        }
        return name;
    }

    /** The author e-mail of the agent's commits. */
    public static String gitEmail(String field, String email) {
        if (email == null || !EMAIL.matcher(email).matches() || email.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw ServiceException.invalid(field, "'" + Printable.line(String.valueOf(email), 80) + "' is not an e-mail address");
        }
        return email;
    }
}
