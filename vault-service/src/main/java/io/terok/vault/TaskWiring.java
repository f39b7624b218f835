package io.terok.vault;

import io.terok.vault.broker.ProviderRoute;
import io.terok.vault.broker.RouteTable;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The environment that wires a task's phantom tokens: each provider's templates with the broker URL and its token. */
public final class TaskWiring {
    /**
     * Where a subscription (OAuth) credential's phantom goes instead of the API key's variable, per provider. Claude Code
     * on {@code CLAUDE_CODE_OAUTH_TOKEN} behaves as on a subscription: it sends the token as {@code Authorization:
     * Bearer} with the {@code oauth-2025-04-20} beta flag (measured on Claude Code 2.1.332) and asks no question about
     * an API key; the broker takes the phantom from that header and sends the real token the same way.
     */
    static final Map<String, Map<String, String>> SUBSCRIPTION_TOKEN_ENV = Map.of(
            "anthropic", Map.of("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"));

    private TaskWiring() {
    }

    /**
     * The hosts the broker talks to for these tokens' providers: each upstream and OAuth token endpoint. Shield denies
     * them to the task directly, so that the provider is reached through the broker or not at all.
     */
    public static List<String> relayedHosts(RouteTable routes, Iterable<Vault.Minted> minted) {
        Set<String> hosts = new LinkedHashSet<>();
        for (Vault.Minted m : minted) {
            ProviderRoute r = routes.get(m.binding().provider()).orElseThrow();
            for (URI u : new URI[] {r.upstream(), r.oauthRefreshUrl()}) {
                if (u != null && u.getHost() != null) {
                    String h = u.getHost();
                    hosts.add(h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h);
                }
            }
        }
        return List.copyOf(hosts);
    }

    /** @param hostAddress where the container reaches the host's loopback (10.0.2.2 slirp4netns, 169.254.1.2 pasta) */
    public static Map<String, String> env(RouteTable routes, Iterable<Vault.Minted> minted, String hostAddress, int port) {
        return env(routes, minted, hostAddress, port, (set, provider) -> java.util.Optional.empty());
    }

    /**
     * @param credentials the stored credential of a set and provider: its account (a ChatGPT login's) fills
     *                    {@code ${account_id}} ("" when it names none); the account id was checked to a narrow shape
     *                    when it was stored; a subscription's phantom goes in the variable its agent reads
     *                    on a subscription ({@link #SUBSCRIPTION_TOKEN_ENV})
     */
    public static Map<String, String> env(RouteTable routes, Iterable<Vault.Minted> minted, String hostAddress, int port,
            java.util.function.BiFunction<String, String, java.util.Optional<Vault.Credential>> credentials) {
        String host = hostAddress == null || hostAddress.isEmpty() ? "127.0.0.1" : hostAddress;
        String base = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        Map<String, String> env = new TreeMap<>();
        env.put("TEROK_VAULT_URL", base);
        for (Vault.Minted m : minted) {
            ProviderRoute r = routes.get(m.binding().provider()).orElseThrow();
            java.util.Optional<Vault.Credential> c = credentials.apply(m.binding().credentialSet(), m.binding().provider());
            String account = c.map(Vault.Credential::accountId).orElse("");
            Map<String, String> renamed = c.filter(Vault.Credential::oauth)
                    .map(x -> SUBSCRIPTION_TOKEN_ENV.getOrDefault(r.name(), Map.of())).orElse(Map.of());
            r.env().forEach((k, v) -> env.put(renamed.getOrDefault(k, k), v.replace("${base_url}", base)
                    .replace("${token}", m.token()).replace("${account_id}", account == null ? "" : account)));
        }
        return env;
    }
}
