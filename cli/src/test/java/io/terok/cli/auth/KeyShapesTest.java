package io.terok.cli.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The vendors' key shapes: what fits is stored, what does not is refused naming the provider and never echoing the key. */
class KeyShapesTest {
    static final String BODY = "AbCdEf0123456789_-AbCdEf0123456789";

    @Test
    void keysOfTheRightShapeFit() {
        assertEquals(Optional.empty(), KeyShapes.problem("anthropic", "sk-ant-api03-" + BODY));
        assertEquals(Optional.empty(), KeyShapes.problem("openai", "sk-proj-" + BODY));
        assertEquals(Optional.empty(), KeyShapes.problem("openai", "sk-" + BODY));
        assertEquals(Optional.empty(), KeyShapes.problem("github", "github_pat_" + BODY));
        assertEquals(Optional.empty(), KeyShapes.problem("github", "ghp_" + BODY));
        assertEquals(Optional.empty(), KeyShapes.problem("gitlab", "glpat-" + BODY));
        assertEquals(Optional.empty(), KeyShapes.problem("google", "AIza" + BODY + "x"));
        // A configured provider: any printable key
        assertEquals(Optional.empty(), KeyShapes.problem("mistral", "whatever-" + BODY));
    }

    @Test
    void aKeyOfAnotherVendorOrATruncatedOneIsRefusedNamingTheProvider() {
        String openaiKey = "sk-proj-" + BODY + "SECRETPART";
        String p = KeyShapes.problem("anthropic", openaiKey).orElseThrow();
        assertTrue(p.contains("anthropic") && p.contains("sk-ant-api03-"), p);
        assertFalse(p.contains("SECRETPART"), "the key itself never appears in the message: " + p);
        assertTrue(KeyShapes.problem("openai", "sk-short").isPresent());
        assertTrue(KeyShapes.problem("google", "AIza" + BODY).orElseThrow().contains("39 characters"));
        assertTrue(KeyShapes.problem("github", "sk-ant-api03-" + BODY).orElseThrow().contains("github"));
    }

    @Test
    void spacesControlCharactersAndSubscriptionTokensAreCalledOut() {
        assertTrue(KeyShapes.problem("mistral", "key with spaces").orElseThrow().contains("spaces or control"));
        assertTrue(KeyShapes.problem("openai", "sk-" + BODY + "\u001b[2J").orElseThrow().contains("control"));
        assertTrue(KeyShapes.problem("anthropic", "sk-ant-oat01-" + BODY).orElseThrow().contains("--subscription"));
        assertTrue(KeyShapes.problem("anthropic", "").orElseThrow().contains("no anthropic API key"));
    }

    @Test
    void aSubscriptionTokenMustBeOneAndNotAnApiKey() {
        assertEquals(Optional.empty(), KeyShapes.subscriptionProblem("anthropic", "sk-ant-oat01-" + BODY));
        assertTrue(KeyShapes.subscriptionProblem("anthropic", "sk-ant-api03-" + BODY).orElseThrow().contains("without --subscription"));
        String p = KeyShapes.subscriptionProblem("anthropic", "sk-proj-" + BODY).orElseThrow();
        assertTrue(p.contains("sk-ant-oat01-") && !p.contains(BODY), p);
        assertTrue(KeyShapes.subscriptionProblem("anthropic", "").orElseThrow().contains("no anthropic subscription token"));
    }
}
