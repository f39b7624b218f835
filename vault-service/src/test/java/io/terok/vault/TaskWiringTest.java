package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.terok.vault.broker.RouteTable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TaskWiringTest {
    static Vault.Minted minted(String provider) {
        return new Vault.Minted(new Vault.Binding("vt-1", "task", "", provider, "default", 0, null, "h"), "terok-p-x");
    }

    @Test
    void relayedHostsAreTheTasksProvidersUpstreamsAndTokenEndpointsOnce() {
        RouteTable routes = RouteTable.withOverrides(Map.of(
                "internal", new RouteTable.Override(Optional.of("https://[2001:db8::7]:8443/api"), Optional.empty(), Optional.empty(),
                        Map.of(), Optional.of("https://auth.internal.test/oauth/token"), Optional.empty()),
                "mirror", new RouteTable.Override(Optional.of("https://api.anthropic.com/v2"), Optional.empty(), Optional.empty(),
                        Map.of())));
        assertEquals(List.of("api.anthropic.com", "2001:db8::7", "auth.internal.test"),
                TaskWiring.relayedHosts(routes, List.of(minted("anthropic"), minted("internal"), minted("mirror"))),
                "hosts only (no port, no brackets), each once");
        assertEquals(List.of(), TaskWiring.relayedHosts(routes, List.of()), "no providers: nothing relayed");
    }

    @Test
    void aClaudeSubscriptionsPhantomIsAnOAuthTokenAndAnApiKeysStaysAnApiKey() {
        RouteTable routes = RouteTable.withOverrides(Map.of());
        Vault.Credential oauth = new Vault.Credential("default", "anthropic", "oauth", "sk-ant-oat01-real", null, null, 0, null);
        Vault.Credential key = new Vault.Credential("default", "anthropic", "api_key", "sk-ant-api03-real", null, null, 0, null);

        Map<String, String> sub = TaskWiring.env(routes, List.of(minted("anthropic")), "10.0.2.2", 4000,
                (set, provider) -> Optional.of(oauth));
        assertEquals("terok-p-x", sub.get("CLAUDE_CODE_OAUTH_TOKEN"), "Claude Code reads a subscription token there");
        assertFalse(sub.containsKey("ANTHROPIC_API_KEY"), "no API key beside it: Claude Code would prefer it: " + sub);
        assertEquals("http://10.0.2.2:4000", sub.get("ANTHROPIC_BASE_URL"));

        Map<String, String> api = TaskWiring.env(routes, List.of(minted("anthropic")), "10.0.2.2", 4000,
                (set, provider) -> Optional.of(key));
        assertEquals("terok-p-x", api.get("ANTHROPIC_API_KEY"));
        assertFalse(api.containsKey("CLAUDE_CODE_OAUTH_TOKEN"), api.toString());

        Vault.Credential chatgpt = new Vault.Credential("default", "chatgpt", "oauth", "eyJ-real", "r", null, 0, "acc-1");
        Map<String, String> codex = TaskWiring.env(routes, List.of(minted("chatgpt")), "10.0.2.2", 4000,
                (set, provider) -> Optional.of(chatgpt));
        assertEquals("terok-p-x", codex.get("TEROK_CHATGPT_TOKEN"), "other subscriptions keep their route's variables");
        assertEquals("acc-1", codex.get("TEROK_CHATGPT_ACCOUNT_ID"));
    }
}
