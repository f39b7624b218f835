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
     *                    when it was stored
     */
    public static Map<String, String> env(RouteTable routes, Iterable<Vault.Minted> minted, String hostAddress, int port,
            java.util.function.BiFunction<String, String, java.util.Optional<Vault.Credential>> credentials) {
        String host = hostAddress == null || hostAddress.isEmpty() ? "127.0.0.1" : hostAddress;
        String base = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        Map<String, String> env = new TreeMap<>();
        env.put("TEROK_VAULT_URL", base);
        for (Vault.Minted m : minted) {
            ProviderRoute r = routes.get(m.binding().provider()).orElseThrow();
            String account = credentials.apply(m.binding().credentialSet(), m.binding().provider())
                    .map(Vault.Credential::accountId).orElse("");
            r.env().forEach((k, v) -> env.put(k, v.replace("${base_url}", base).replace("${token}", m.token())
                    .replace("${account_id}", account == null ? "" : account)));
        }
        return env;
    }
}
