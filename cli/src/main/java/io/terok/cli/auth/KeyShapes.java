package io.terok.cli.auth;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a vendor's API keys look like, for the providers whose shape is published; a key that does not fit is a typo,
 * a key of another vendor, or a subscription token given where an API key belongs, and is refused before the vault
 * stores it. Providers terok does not know the shape of (configured ones) take any key without spaces or control
 * characters. Checks are prefixes and character sets only: vendors lengthen keys without notice.
 */
public final class KeyShapes {
    /** A prefix and the characters after it; at least 20 of them, so a truncated paste is caught. */
    private record Shape(Pattern pattern, String description) {
    }

    private static final String BODY = "[A-Za-z0-9_-]{20,}";
    private static final Map<String, Shape> SHAPES = Map.of(
            "anthropic", new Shape(Pattern.compile("sk-ant-api\\d\\d-" + BODY), "sk-ant-api03-... (an Anthropic Console API key)"),
            "openai", new Shape(Pattern.compile("sk-(proj-|svcacct-|admin-)?" + BODY), "sk-... or sk-proj-... (an OpenAI platform API key)"),
            "github", new Shape(Pattern.compile("(ghp_|gho_|ghu_|ghs_|github_pat_)" + BODY),
                    "ghp_... or github_pat_... (a GitHub personal access token)"),
            "gitlab", new Shape(Pattern.compile("glpat-" + BODY), "glpat-... (a GitLab personal access token)"),
            "google", new Shape(Pattern.compile("AIza[A-Za-z0-9_-]{35}"), "AIza... (a Google AI Studio API key, 39 characters)"));
    private static final Pattern ANTHROPIC_OAUTH = Pattern.compile("sk-ant-oat\\d\\d-" + BODY);
    private static final Pattern PRINTABLE = Pattern.compile("[\\x21-\\x7e]+");

    private KeyShapes() {
    }

    /**
     * Why {@code key} cannot be {@code provider}'s API key, naming the provider and the expected shape (never the key);
     * empty when it fits.
     */
    public static Optional<String> problem(String provider, String key) {
        if (key.isEmpty()) {
            return Optional.of("no " + provider + " API key given");
        }
        if (!PRINTABLE.matcher(key).matches()) {
            return Optional.of("the " + provider + " API key contains spaces or control characters (a paste with more"
                    + " than the key?)");
        }
        if (provider.equals("anthropic") && ANTHROPIC_OAUTH.matcher(key).matches()) {
            return Optional.of("this is a Claude subscription token (sk-ant-oat...), not an anthropic API key: use"
                    + " `terok auth claude --subscription`");
        }
        Shape s = SHAPES.get(provider);
        if (s != null && !s.pattern().matcher(key).matches()) {
            return Optional.of("this does not look like a " + provider + " API key: expected " + s.description()
                    + ", got " + key.length() + " characters starting '" + key.substring(0, Math.min(3, key.length())) + "'");
        }
        return Optional.empty();
    }

    /**
     * Why {@code token} cannot be {@code provider}'s subscription token ({@code claude setup-token}'s sk-ant-oat01-...
     * for anthropic), never quoting it; empty when it fits.
     */
    public static Optional<String> subscriptionProblem(String provider, String token) {
        if (token.isEmpty()) {
            return Optional.of("no " + provider + " subscription token given");
        }
        if (!PRINTABLE.matcher(token).matches()) {
            return Optional.of("the " + provider + " subscription token contains spaces or control characters");
        }
        if (provider.equals("anthropic") && !ANTHROPIC_OAUTH.matcher(token).matches()) {
            return Optional.of(SHAPES.get("anthropic").pattern().matcher(token).matches()
                    ? "this is an anthropic API key, not a subscription token: use `terok auth anthropic` without --subscription"
                    : "this does not look like a Claude subscription token: expected sk-ant-oat01-... (what `claude setup-token`"
                            + " prints), got " + token.length() + " characters");
        }
        return Optional.empty();
    }

    /** Whether the shape of this provider's keys is known (and checked). */
    public static boolean known(String provider) {
        return SHAPES.containsKey(provider);
    }
}
