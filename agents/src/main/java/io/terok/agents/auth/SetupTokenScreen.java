package io.terok.agents.auth;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Claude Code's {@code claude setup-token} off its terminal (measured on 2.1.332, docs/agents.md): it draws
 * with cursor moves instead of spaces, prints the authorize link, waits for the pasted {@code code#state}, exchanges
 * the code and prints the long-lived token ({@code sk-ant-oat01-...}), or "OAuth error: ..." and waits for Enter.
 *
 * <p>That screen comes from a container and is hostile. The person is shown a link terok rebuilds from checked pieces
 * (Anthropic's authorize page, Claude Code's client id, Anthropic's code page as redirect, a PKCE challenge and state of
 * their exact shape); an authorize link that does not check out is foreign, and the login must be stopped rather than
 * shown. Only {@link #token()} of the narrow token shape leaves this class as a credential.
 */
public final class SetupTokenScreen {
    /** Claude Code's OAuth client (its binary's CLIENT_ID). */
    public static final String CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
    /** Where claude.ai subscriptions authorize (CLAUDE_AI_AUTHORIZE_URL; setup-token always uses it). */
    public static final String AUTHORIZE = "https://claude.com/cai/oauth/authorize";
    /** The page that shows the person the code to paste back (MANUAL_REDIRECT_URL). */
    public static final String REDIRECT = "https://platform.claude.com/oauth/code/callback";
    /** CSI, OSC (its hyperlinks repeat the link) and lone two-byte escape sequences. */
    private static final Pattern ESCAPES = Pattern.compile(
            "\\x1b\\[[0-9;?<>=]*[ -/]*[@-~]|\\x1b\\][^\\x07\\x1b]*(\\x07|\\x1b\\\\)|\\x1b[()][0-9A-Za-z]|\\x1b[@-_]");
    private static final Pattern AUTHORIZE_LINK = Pattern.compile("https?://[^\\s\\x00-\\x1f]*authorize\\?[^\\s\\x00-\\x1f]*");
    private static final Pattern TOKEN = Pattern.compile("sk-ant-oat01-[A-Za-z0-9_-]{20,400}");
    private static final Pattern ERROR = Pattern.compile("OAuth error:?\\s*([^\\r\\n]{0,300})");
    private static final Pattern B64URL_43 = Pattern.compile("[A-Za-z0-9_-]{43}");
    /** What the person pastes: the code, '#', the state (Claude Code's own check: both parts present). */
    private static final Pattern PASTED = Pattern.compile("([A-Za-z0-9_-]{8,512})#([A-Za-z0-9_-]{43})");
    private static final int MAX_SCREEN = 1 << 20;

    private final StringBuilder screen = new StringBuilder();
    private Link link;
    private String foreign;

    /** Feeds raw terminal output (any chunking); escape sequences are cut once the text is whole. */
    public synchronized void accept(String raw) {
        if (screen.length() < MAX_SCREEN) {
            screen.append(raw, 0, Math.min(raw.length(), MAX_SCREEN - screen.length()));
        }
        if (link == null && foreign == null) {
            Matcher m = AUTHORIZE_LINK.matcher(text());
            if (m.find()) {
                // Wait for the link to be complete: the terminal line it is on has ended.
                String rest = text().substring(m.end());
                if (!rest.isEmpty()) {
                    Optional<Link> checked = check(m.group());
                    if (checked.isPresent()) {
                        link = checked.get();
                    } else {
                        foreign = m.group().length() > 120 ? m.group().substring(0, 120) : m.group();
                    }
                }
            }
        }
    }

    private String text() {
        return ESCAPES.matcher(screen).replaceAll(" ");
    }

    /** The authorize link as terok rebuilt it, once the screen showed one that checks out. */
    public synchronized Optional<Link> link() {
        return Optional.ofNullable(link);
    }

    /** An authorize link that did not check out (cut to 120 characters; show it only sanitised, never as a link). */
    public synchronized Optional<String> foreignLink() {
        return Optional.ofNullable(foreign);
    }

    /** The long-lived token, once printed. */
    public synchronized Optional<String> token() {
        Matcher m = TOKEN.matcher(text());
        return m.find() ? Optional.of(m.group()) : Optional.empty();
    }

    /** Claude Code's "OAuth error: ..." (the exchange failed; it then waits for Enter to retry), unsanitised. */
    public synchronized Optional<String> error() {
        Matcher m = ERROR.matcher(text());
        return m.find() ? Optional.of(m.group(1).replaceAll("\\s{2,}", " ").strip()) : Optional.empty();
    }

    /** The authorize link's checked parts; {@link #url()} is the only form a person is shown. */
    public record Link(String scope, String codeChallenge, String state) {
        public String url() {
            return AUTHORIZE + "?code=true&client_id=" + CLIENT_ID + "&response_type=code&redirect_uri="
                    + java.net.URLEncoder.encode(REDIRECT, StandardCharsets.UTF_8) + "&scope="
                    + java.net.URLEncoder.encode(scope, StandardCharsets.UTF_8) + "&code_challenge=" + codeChallenge
                    + "&code_challenge_method=S256&state=" + state;
        }
    }

    /** The link's pieces, each of the one value or shape Claude Code sends; anything else is not Anthropic's link. */
    static Optional<Link> check(String url) {
        if (!url.startsWith(AUTHORIZE + "?")) {
            return Optional.empty();
        }
        Map<String, String> q = new LinkedHashMap<>();
        for (String pair : url.substring(AUTHORIZE.length() + 1).split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                return Optional.empty();
            }
            String k = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
            if (q.put(k, URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8)) != null) {
                return Optional.empty();
            }
        }
        boolean ok = "true".equals(q.get("code")) && CLIENT_ID.equals(q.get("client_id")) && "code".equals(q.get("response_type"))
                && REDIRECT.equals(q.get("redirect_uri")) && "S256".equals(q.get("code_challenge_method"))
                && q.get("scope") != null && q.get("scope").matches("user:[a-z_:]{1,40}( user:[a-z_:]{1,40}){0,10}")
                && q.get("code_challenge") != null && B64URL_43.matcher(q.get("code_challenge")).matches()
                && q.get("state") != null && B64URL_43.matcher(q.get("state")).matches() && q.size() == 8;
        return ok ? Optional.of(new Link(q.get("scope"), q.get("code_challenge"), q.get("state"))) : Optional.empty();
    }

    /**
     * What the person pasted, checked before it is typed into the login's terminal (where a control character would be
     * a keystroke): the code page's {@code code#state}, for this login's state. Empty when fine, else the problem.
     */
    public static Optional<String> pastedProblem(String pasted, Link link) {
        Matcher m = PASTED.matcher(pasted);
        if (!m.matches()) {
            return Optional.of("that is not the code Anthropic's page shows (expected CODE#STATE: letters, digits, '-' and '_'"
                    + " with one '#', " + pasted.length() + " characters given)");
        }
        if (!m.group(2).equals(link.state())) {
            return Optional.of("that code is from another sign-in (its part after '#' is not this login's state): open the"
                    + " link shown above and paste the code that page shows");
        }
        return Optional.empty();
    }
}
