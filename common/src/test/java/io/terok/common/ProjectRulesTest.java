package io.terok.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Each rule's bad input: refused as INVALID naming the field it was given, and what was wrong. */
class ProjectRulesTest {
    static void refused(String field, String says, Supplier<?> check) {
        ServiceException e = assertThrows(ServiceException.class, check::get);
        assertEquals(ServiceException.Kind.INVALID, e.kind());
        assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }

    @Test
    void upstreamUrl() {
        assertEquals("git@example.org:team/repo.git", ProjectRules.upstreamUrl("upstream.url", "git@example.org:team/repo.git"));
        refused("upstream.url", "required", () -> ProjectRules.upstreamUrl("upstream.url", ""));
        refused("upstream.url", "is not a file:///", () -> ProjectRules.upstreamUrl("upstream.url", "ftp://example.org/r.git"));
        refused("upstream.url", "is not a file:///", () -> ProjectRules.upstreamUrl("upstream.url", "https://example.org/a b"));
        refused("x.yaml: upstream.url", "is not", () -> ProjectRules.upstreamUrl("x.yaml: upstream.url", "https://e.org/\u001b"));
    }

    @Test
    void branch() {
        assertEquals("main", ProjectRules.branch("upstream.branch", "refs/heads/main"));
        refused("upstream.branch", "not a valid git branch name", () -> ProjectRules.branch("upstream.branch", "-evil"));
        refused("upstream.branch", "not a valid git branch name", () -> ProjectRules.branch("upstream.branch", "a..b"));
    }

    @Test
    void patternsAndLists() {
        assertEquals("gpt-5.1-codex", ProjectRules.matching("agents.model", "gpt-5.1-codex", ProjectRules.MODEL));
        refused("agents.model", "does not match", () -> ProjectRules.matching("agents.model", "bad model", ProjectRules.MODEL));
        refused("agents.default", "does not match", () -> ProjectRules.matching("agents.default", "Claude", ProjectRules.AGENT));
        refused("agents.provider", "does not match", () -> ProjectRules.matching("agents.provider", "9x", ProjectRules.PROVIDER));
        refused("image.base", "does not match", () -> ProjectRules.matching("image.base", "Upper/Case", ProjectRules.IMAGE));
        assertEquals(List.of("dev", "strict"), ProjectRules.commaList("shield.profiles", " dev, strict,dev", ProjectRules.PROFILE));
        assertEquals(List.of(), ProjectRules.commaList("shield.profiles", " ", ProjectRules.PROFILE));
        refused("shield.profiles", "'Dev!' does not match", () -> ProjectRules.commaList("shield.profiles", "ok,Dev!", ProjectRules.PROFILE));
        refused("shield.allow", "does not match", () -> ProjectRules.list("shield.allow", List.of("example.com; flush ruleset"),
                ProjectRules.ALLOW));
    }

    @Test
    void familyAndIdentity() {
        refused("image.family", "is not deb or rpm", () -> ProjectRules.family("image.family", "apk"));
        refused("git.name", "no < or >", () -> ProjectRules.gitName("git.name", "Ada <ada@example.org>"));
        refused("git.name", "1-128 printable", () -> ProjectRules.gitName("git.name", "Ada\nEvil"));
        refused("git.email", "is not an e-mail address", () -> ProjectRules.gitEmail("git.email", "ada"));
        assertEquals("ada@example.org", ProjectRules.gitEmail("git.email", "ada@example.org"));
    }
}
