package io.terok.vault.broker;

import java.net.URI;
import java.util.Map;

/**
 * How the broker reaches one provider: its upstream, the header that carries the real credential (and its prefix),
 * the environment a task gets ({@code ${base_url}} and {@code ${token}} are filled in at mint time), and where an
 * OAuth access token is refreshed (null: never refreshed; {@code oauthClientId} is sent with the refresh when set), and
 * what the credential may be used for ({@link RouteRules}; none: the whole API).
 */
public record ProviderRoute(String name, URI upstream, String authHeader, String authPrefix, Map<String, String> env,
                            URI oauthRefreshUrl, String oauthClientId, RouteRules rules) {
    public ProviderRoute(String name, URI upstream, String authHeader, String authPrefix, Map<String, String> env) {
        this(name, upstream, authHeader, authPrefix, env, null, null, RouteRules.NONE);
    }

    public ProviderRoute(String name, URI upstream, String authHeader, String authPrefix, Map<String, String> env, RouteRules rules) {
        this(name, upstream, authHeader, authPrefix, env, null, null, rules);
    }

    public ProviderRoute {
        env = Map.copyOf(env);
        rules = rules == null ? RouteRules.NONE : rules;
        if (oauthRefreshUrl != null && (!"http".equals(oauthRefreshUrl.getScheme()) && !"https".equals(oauthRefreshUrl.getScheme())
                || oauthRefreshUrl.getHost() == null)) {
            throw new IllegalArgumentException("terok.vault.providers." + name + ".oauth-refresh-url: must be an http(s) URL, got "
                    + oauthRefreshUrl);
        }
        String scheme = upstream.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme) || upstream.getHost() == null) {
            throw new IllegalArgumentException("terok.vault.providers." + name + ".upstream: must be an http(s) URL, got " + upstream);
        }
        if (authHeader == null || authHeader.isBlank()) {
            throw new IllegalArgumentException("terok.vault.providers." + name + ".auth-header: must not be empty");
        }
    }

    public boolean tls() {
        return "https".equals(upstream.getScheme());
    }

    public int port() {
        return upstream.getPort() > 0 ? upstream.getPort() : tls() ? 443 : 80;
    }

    /** The upstream's path prefix without a trailing slash ("" for none). */
    public String basePath() {
        String p = upstream.getRawPath();
        int end = p == null ? 0 : p.length();
        while (end > 0 && p.charAt(end - 1) == '/') {
            end--;
        }
        return end == 0 ? "" : p.substring(0, end);
    }
}
