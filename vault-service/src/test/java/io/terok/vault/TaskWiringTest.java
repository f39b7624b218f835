package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
