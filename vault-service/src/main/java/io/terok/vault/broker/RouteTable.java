package io.terok.vault.broker;

import java.net.URI;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The provider routes: shipped defaults (github and gitlab with their {@link RouteRules}), each field overridable and new providers addable through configuration. */
public final class RouteTable {
    /** Per-provider overrides from {@code terok.vault.providers.<name>.*}; empty fields keep the default. */
    public record Override(Optional<String> upstream, Optional<String> authHeader, Optional<String> authPrefix,
                           Map<String, String> env, Optional<String> oauthRefreshUrl, Optional<String> oauthClientId,
                           Optional<List<String>> rules) {
        public Override(Optional<String> upstream, Optional<String> authHeader, Optional<String> authPrefix, Map<String, String> env) {
            this(upstream, authHeader, authPrefix, env, Optional.empty(), Optional.empty(), Optional.empty());
        }

        public Override(Optional<String> upstream, Optional<String> authHeader, Optional<String> authPrefix, Map<String, String> env,
                        Optional<String> oauthRefreshUrl, Optional<String> oauthClientId) {
            this(upstream, authHeader, authPrefix, env, oauthRefreshUrl, oauthClientId, Optional.empty());
        }
    }

    private final Map<String, ProviderRoute> routes;

    public RouteTable(Map<String, ProviderRoute> routes) {
        this.routes = new TreeMap<>(routes);
    }

    public static Map<String, ProviderRoute> defaults() {
        Map<String, ProviderRoute> d = new LinkedHashMap<>();
        d.put("anthropic", new ProviderRoute("anthropic", URI.create("https://api.anthropic.com"), "x-api-key", "",
                Map.of("ANTHROPIC_BASE_URL", "${base_url}", "ANTHROPIC_API_KEY", "${token}")));
        d.put("openai", new ProviderRoute("openai", URI.create("https://api.openai.com"), "Authorization", "Bearer ",
                Map.of("OPENAI_BASE_URL", "${base_url}/v1", "OPENAI_API_KEY", "${token}")));
        // Gemini's API (the Gemini CLI, Google's SDKs) takes the key in x-goog-api-key; GOOGLE_GEMINI_BASE_URL is the
        // Gemini CLI's and the @google/genai SDK's base URL override.
        // A ChatGPT subscription (Codex's ChatGPT login, `terok auth codex --subscription`): Codex sends its model
        // requests to {base_url}/responses with the login's access token as Bearer and the account id in
        // ChatGPT-Account-Id (measured on the real CLI, docs/agents.md). The access token lives about an hour and is
        // refreshed at OpenAI's issuer with Codex's own client id. The task gets the phantom and the account id; Codex's
        // roster entry writes them into a phantom auth.json.
        d.put("chatgpt", new ProviderRoute("chatgpt", URI.create("https://chatgpt.com/backend-api/codex"), "Authorization", "Bearer ",
                Map.of("TEROK_CHATGPT_TOKEN", "${token}", "TEROK_CHATGPT_ACCOUNT_ID", "${account_id}"),
                URI.create("https://auth.openai.com/oauth/token"), "app_EMoamEEZ73f0CkXaXp7hrann", RouteRules.NONE));
        d.put("google", new ProviderRoute("google", URI.create("https://generativelanguage.googleapis.com"), "x-goog-api-key", "",
                Map.of("GOOGLE_GEMINI_BASE_URL", "${base_url}", "GEMINI_API_KEY", "${token}")));
        d.put("github", new ProviderRoute("github", URI.create("https://api.github.com"), "Authorization", "token ",
                Map.of("GH_TOKEN", "${token}", "GITHUB_TOKEN", "${token}", "GITHUB_API_URL", "${base_url}"),
                RouteRules.parse("github rules", RouteRules.GITHUB)));
        d.put("gitlab", new ProviderRoute("gitlab", URI.create("https://gitlab.com"), "PRIVATE-TOKEN", "",
                Map.of("GITLAB_TOKEN", "${token}", "GITLAB_HOST", "${base_url}", "API_PROTOCOL", "http"),
                RouteRules.parse("gitlab rules", RouteRules.GITLAB)));
        return d;
    }

    public static RouteTable withOverrides(Map<String, Override> overrides) {
        Map<String, ProviderRoute> r = defaults();
        overrides.forEach((name, o) -> {
            ProviderRoute base = r.get(name);
            String upstream = o.upstream().orElse(base == null ? null : base.upstream().toString());
            if (upstream == null) {
                throw new IllegalArgumentException("terok.vault.providers." + name + ".upstream: required for a new provider");
            }
            Map<String, String> env = new LinkedHashMap<>(base == null ? Map.of() : base.env());
            env.putAll(o.env());
            r.put(name, new ProviderRoute(name, URI.create(upstream),
                    o.authHeader().orElse(base == null ? "Authorization" : base.authHeader()),
                    o.authPrefix().orElse(base == null ? "Bearer " : base.authPrefix()), env,
                    o.oauthRefreshUrl().filter(u -> !u.isBlank()).map(URI::create).orElse(base == null ? null : base.oauthRefreshUrl()),
                    o.oauthClientId().filter(c -> !c.isBlank()).orElse(base == null ? null : base.oauthClientId()),
                    // The operator's list replaces the shipped one whole: rules are read in order, so merging could
                    // put a shipped allow before the operator's deny.
                    o.rules().map(l -> RouteRules.parse("terok.vault.providers." + name + ".rules", l))
                            .orElse(base == null ? RouteRules.NONE : base.rules())));
        });
        return new RouteTable(r);
    }

    public Optional<ProviderRoute> get(String name) {
        return Optional.ofNullable(routes.get(name));
    }

    public Collection<ProviderRoute> all() {
        return routes.values();
    }

    public String names() {
        return String.join(", ", routes.keySet());
    }
}
