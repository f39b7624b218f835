package io.terok.agents.auth;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Codex's ChatGPT login file, {@code $CODEX_HOME/auth.json}: reading the one {@code codex login --device-auth} wrote
 * (inside the throwaway login container; the text never touches the host's disk), and writing the phantom one a task
 * gets.
 *
 * <p>Shape measured on the real CLI 0.171.0 against a fake issuer (docs/agents.md, "Codex ChatGPT login"):
 * {@code {"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{"id_token","access_token","refresh_token",
 * "account_id",...},"last_refresh":RFC3339}}. Codex reads the account id and plan from the id_token's
 * {@code https://api.openai.com/auth} claim without checking its signature, so the phantom id_token carries only
 * those two claims: nothing that identifies the person (no email, no user id) reaches the task.
 *
 * <p>The file is hostile input (the container wrote it), so every value that terok later puts into a header or a
 * file is checked against a narrow shape, and no error message ever contains a token.
 */
public final class CodexAuthJson {
    /** The id_token claim Codex reads the workspace from (its error text names it when missing). */
    static final String AUTH_CLAIM = "https://api.openai.com/auth";
    /** Real account ids are UUIDs; this is what may go into a ChatGPT-Account-Id header. */
    static final Pattern ACCOUNT_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    static final Pattern PLAN = Pattern.compile("[a-z0-9_-]{1,40}");
    /** A token: printable ASCII without spaces, quotes or backslashes (JWTs and opaque refresh tokens fit). */
    static final Pattern TOKEN = Pattern.compile("[\\x21\\x23-\\x5b\\x5d-\\x7e]{8,16384}");
    static final int MAX_FILE = 64 * 1024;

    private CodexAuthJson() {
    }

    /** The real ChatGPT credential from a login; {@link #toString()} never shows a token. */
    public record ChatGptLogin(String idToken, String accessToken, String refreshToken, String accountId,
                               Optional<String> planType, Optional<Instant> accessExpiresAt) {
        @Override
        public String toString() {
            return "ChatGptLogin[account " + accountId + ", plan " + planType.orElse("-") + ", tokens redacted]";
        }
    }

    /**
     * The credential in the text {@code codex login} wrote.
     *
     * @throws IllegalArgumentException naming what is missing or malformed (never a value)
     */
    public static ChatGptLogin read(String json) {
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException("codex login wrote no auth.json (empty)");
        }
        if (json.length() > MAX_FILE) {
            throw new IllegalArgumentException("the auth.json codex login wrote is larger than " + MAX_FILE + " bytes");
        }
        Map<?, ?> root = object(parse(json, "auth.json"), "auth.json");
        Object mode = root.get("auth_mode");
        if (mode != null && !"chatgpt".equals(mode)) {
            throw new IllegalArgumentException("the auth.json codex login wrote is not a ChatGPT login (auth_mode is not chatgpt)");
        }
        Map<?, ?> tokens = object(root.get("tokens"), "auth.json field tokens");
        String idToken = token(tokens, "id_token");
        String accessToken = token(tokens, "access_token");
        String refreshToken = token(tokens, "refresh_token");
        Map<?, ?> idClaims = jwtPayload(idToken, "tokens.id_token");
        Map<?, ?> auth = idClaims.get(AUTH_CLAIM) instanceof Map<?, ?> m ? m : Map.of();
        Object account = tokens.get("account_id") instanceof String s && !s.isEmpty() ? s : auth.get("chatgpt_account_id");
        if (!(account instanceof String accountId) || !ACCOUNT_ID.matcher(accountId).matches()) {
            throw new IllegalArgumentException("the auth.json codex login wrote has no usable ChatGPT account id"
                    + " (tokens.account_id or the id_token's chatgpt_account_id: letters, digits, - and _ only)");
        }
        Optional<String> plan = Optional.ofNullable(auth.get("chatgpt_plan_type")).filter(String.class::isInstance)
                .map(String.class::cast).filter(p -> PLAN.matcher(p).matches());
        Optional<Instant> expires = Optional.empty();
        try {
            if (jwtPayload(accessToken, "tokens.access_token").get("exp") instanceof Number n) {
                expires = Optional.of(Instant.ofEpochSecond(n.longValue()));
            }
        } catch (IllegalArgumentException opaque) {
            // An opaque access token is allowed: then the broker refreshes on the provider's 401 instead of ahead.
        }
        return new ChatGptLogin(idToken, accessToken, refreshToken, accountId, plan, expires);
    }

    /**
     * The auth.json a task's Codex gets: phantom access and refresh tokens (the broker swaps the access phantom for
     * the real token), an unsigned id_token carrying only the account id and plan, and {@code last_refresh} = now so
     * Codex does not try to refresh on its own (it cannot: the task cannot reach the issuer, and holds no real
     * refresh token).
     */
    public static String phantom(String phantomAccessToken, String phantomRefreshToken, String accountId,
                                 Optional<String> planType, Instant now) {
        check(TOKEN, phantomAccessToken, "phantom access token");
        check(TOKEN, phantomRefreshToken, "phantom refresh token");
        check(ACCOUNT_ID, accountId, "ChatGPT account id");
        planType.ifPresent(p -> check(PLAN, p, "ChatGPT plan type"));
        String claims = "{\"" + AUTH_CLAIM + "\":{\"chatgpt_account_id\":\"" + accountId + "\""
                + planType.map(p -> ",\"chatgpt_plan_type\":\"" + p + "\"").orElse("") + "}}";
        String idToken = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(claims) + "." + b64("terok-phantom");
        String refreshed = DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
        // Every value was checked above against a shape without quotes or backslashes: concatenation is safe JSON.
        return "{\n"
                + "  \"auth_mode\": \"chatgpt\",\n"
                + "  \"OPENAI_API_KEY\": null,\n"
                + "  \"tokens\": {\n"
                + "    \"id_token\": \"" + idToken + "\",\n"
                + "    \"access_token\": \"" + phantomAccessToken + "\",\n"
                + "    \"refresh_token\": \"" + phantomRefreshToken + "\",\n"
                + "    \"account_id\": \"" + accountId + "\"\n"
                + "  },\n"
                + "  \"last_refresh\": \"" + refreshed + "\"\n"
                + "}\n";
    }

    /** The claims of a JWT, unverified (the caller only reads what Codex itself reads unverified). */
    static Map<?, ?> jwtPayload(String jwt, String what) {
        String[] parts = jwt.split("\\.", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("the auth.json codex login wrote has a " + what + " that is not a JWT");
        }
        String payload;
        try {
            payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the auth.json codex login wrote has a " + what + " whose payload is not base64url");
        }
        return object(parse(payload, what + " payload"), what + " payload");
    }

    private static Object parse(String json, String what) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(0);
        options.setCodePointLimit(MAX_FILE);
        try {
            // JSON is YAML; the safe constructor builds only maps, lists and scalars.
            return new Yaml(new SafeConstructor(options)).load(json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the " + what + " codex login wrote is not valid JSON");
        }
    }

    private static Map<?, ?> object(Object o, String what) {
        if (o instanceof Map<?, ?> m) {
            return m;
        }
        throw new IllegalArgumentException("the " + what + " is not a JSON object");
    }

    private static String token(Map<?, ?> tokens, String field) {
        if (tokens.get(field) instanceof String s && TOKEN.matcher(s).matches()) {
            return s;
        }
        throw new IllegalArgumentException("the auth.json codex login wrote has no usable tokens." + field
                + " (8 to 16384 printable characters without spaces)");
    }

    private static void check(Pattern p, String value, String what) {
        if (value == null || !p.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " does not have the expected shape " + p.pattern());
        }
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /** For tests and the login command: the claims as a map, e.g. to check what a phantom id_token carries. */
    static Map<String, Object> claims(String jwt) {
        Map<String, Object> out = new LinkedHashMap<>();
        jwtPayload(jwt, "jwt").forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }
}
