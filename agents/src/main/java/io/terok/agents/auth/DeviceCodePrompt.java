package io.terok.agents.auth;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks the sign-in link and one-time code out of a device-code login's output (Codex's {@code login --device-auth}
 * prints a link and a code, coloured). That output comes from a container and is hostile: it could print a phishing
 * link or escape sequences. So the person is shown only the link terok expects for the vendor (given by the caller,
 * never taken from the output) and a code of a narrow shape; a different link in the output makes the login fail
 * rather than be shown.
 */
public final class DeviceCodePrompt {
    /**
     * CSI and OSC escape sequences, removed before matching (the CLI colours the link and code); also a colour
     * sequence whose ESC a sanitiser already turned into '?' (HostProcess's line streaming does).
     */
    private static final Pattern ESCAPES = Pattern.compile(
            "\\x1b\\[[0-9;?]*[ -/]*[@-~]|\\x1b\\][^\\x07\\x1b]*(\\x07|\\x1b\\\\)|\\?\\[[0-9;]*m");
    /** Codex's code: two groups of 4 to 8 upper-case letters or digits, e.g. ABCD-EFGH1. */
    private static final Pattern CODE = Pattern.compile("^\\s*([A-Z0-9]{4,8}-[A-Z0-9]{4,8})\\s*$");
    private static final Pattern LINK = Pattern.compile("(https?://\\S+)");

    private final String expectedLink;
    private String code;
    private String foreignLink;

    /** @param expectedLink the vendor's device page, e.g. {@code https://auth.openai.com/codex/device} */
    public DeviceCodePrompt(String expectedLink) {
        this.expectedLink = expectedLink;
    }

    /** Feeds one line of the login's output; returns the prompt once both the link and the code were seen. */
    public Optional<Prompt> accept(String rawLine) {
        String line = ESCAPES.matcher(rawLine == null ? "" : rawLine).replaceAll("");
        Matcher link = LINK.matcher(line);
        while (link.find()) {
            if (!link.group(1).equals(expectedLink) && foreignLink == null) {
                foreignLink = link.group(1);
            }
        }
        Matcher c = CODE.matcher(line);
        if (c.matches() && code == null) {
            code = c.group(1);
        }
        return prompt();
    }

    /** The link and code to show, when both were seen and no other link was printed. */
    public Optional<Prompt> prompt() {
        if (code == null || foreignLink != null) {
            return Optional.empty();
        }
        return Optional.of(new Prompt(expectedLink, code));
    }

    /** True when the output printed a link other than the expected one: the login must be stopped, not shown. */
    public boolean sawForeignLink() {
        return foreignLink != null;
    }

    public record Prompt(String link, String code) {
    }
}
