package io.terok.vault.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RouteRulesTest {
    @Test
    void firstMatchDecidesAndNothingMatchingIsRefused() {
        RouteRules r = RouteRules.parse("k", List.of("secret: deny * /v1/admin/**", "read: allow GET /v1/**", "post: allow POST /v1/*/items"));
        assertEquals("secret", r.check("GET", "/v1/admin").rule());
        assertFalse(r.check("GET", "/v1/admin/x/y").allowed());
        assertTrue(r.check("GET", "/v1/a/b").allowed());
        assertTrue(r.check("GET", "/v1").allowed(), "/** includes the prefix itself");
        assertTrue(r.check("POST", "/v1/a/items").allowed());
        assertFalse(r.check("POST", "/v1/a/items/1").allowed(), "* is one segment, no more");
        RouteRules.Verdict none = r.check("DELETE", "/v1/a/items");
        assertFalse(none.allowed());
        assertEquals(RouteRules.DEFAULT_DENY, none.rule());
        assertTrue(RouteRules.NONE.check("DELETE", "/anything").allowed(), "no rules: the whole API");
    }

    @Test
    void respellingsMatchTheSameRule() {
        RouteRules gh = RouteRules.parse("k", RouteRules.GITHUB);
        for (String p : List.of("/repos/o/r/contents/a", "/repos/o/r/%63ontents/a", "/Repos/o/r/CONTENTS/a", "/repos//o/./r/contents/a/")) {
            assertEquals("contents", gh.check("PUT", p).rule(), p);
        }
        assertEquals(RouteRules.DEFAULT_DENY, gh.check("PUT", "/repos/o/r/%zz").rule(), "a bad escape is refused");
    }

    @Test
    void malformedRulesAreRefusedNamingTheSettingAndTheForm() {
        for (String bad : List.of("allow GET /x", "a: permit GET /x", "a: allow GET x", "a: allow G€T /x", "a: allow GET /x*y/z",
                "a: allow GET /**/x", "a: allow GET", "default-deny: allow GET /x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RouteRules.parse("terok.vault.providers.p.rules", List.of(bad)), bad);
            assertTrue(e.getMessage().startsWith("terok.vault.providers.p.rules[0]: ") && e.getMessage().contains("NAME: allow|deny"),
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> RouteRules.parse("k", List.of("a: allow GET /x", "a: deny PUT /y")));
    }

    @Test
    void configuredRulesReplaceTheShippedOnesAndBindANewProvider() {
        RouteTable t = RouteTable.withOverrides(Map.of(
                "github", new RouteTable.Override(Optional.empty(), Optional.empty(), Optional.empty(), Map.of(), Optional.empty(),
                        Optional.empty(), Optional.of(List.of("only-issues: allow GET|POST /repos/*/*/issues/**"))),
                "forge", new RouteTable.Override(Optional.of("https://git.example.org/api/v1"), Optional.empty(), Optional.empty(),
                        Map.of(), Optional.empty(), Optional.empty(), Optional.of(List.of("read: allow GET /api/v1/**")))));
        RouteRules gh = t.get("github").orElseThrow().rules();
        assertFalse(gh.check("GET", "/repos/o/r").allowed(), "the shipped read rule is gone");
        assertTrue(gh.check("POST", "/repos/o/r/issues/1/comments").allowed());
        RouteRules forge = t.get("forge").orElseThrow().rules();
        assertTrue(forge.check("GET", "/api/v1/repos").allowed());
        assertFalse(forge.check("GET", "/other").allowed());
        assertTrue(t.get("gitlab").orElseThrow().rules().rules().size() > 0, "gitlab keeps its shipped rules");
        assertTrue(t.get("anthropic").orElseThrow().rules().isEmpty());
    }
}
