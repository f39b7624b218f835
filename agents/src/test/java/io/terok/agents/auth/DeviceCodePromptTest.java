package io.terok.agents.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class DeviceCodePromptTest {
    static final String LINK = "https://auth.openai.com/codex/device";

    /** The lines the real Codex 0.171.0 prints (colours included), with the vendor's link. */
    static List<String> codexOutput(String link, String code) {
        return List.of("", "Welcome to Codex [v\u001b[90m0.171.0\u001b[0m]",
                "Follow these steps to sign in with ChatGPT using device code authorization:", "",
                "1. Open this link in your browser and sign in to your account",
                "   \u001b[94m" + link + "\u001b[0m", "",
                "2. Enter this one-time code \u001b[90m(expires in 15 minutes)\u001b[0m",
                "   \u001b[94m" + code + "\u001b[0m", "");
    }

    static DeviceCodePrompt feed(List<String> lines) {
        DeviceCodePrompt p = new DeviceCodePrompt(LINK);
        lines.forEach(p::accept);
        return p;
    }

    @Test
    void showsTheExpectedLinkAndTheCode() {
        assertEquals(Optional.of(new DeviceCodePrompt.Prompt(LINK, "ABCD-EFGH")), feed(codexOutput(LINK, "ABCD-EFGH")).prompt());
    }

    @Test
    void readsOutputWhoseEscapesASanitiserAlreadyReplaced() {
        List<String> sanitised = codexOutput(LINK, "ABCD-EFGH").stream().map(l -> l.replace('\u001b', '?')).toList();
        assertEquals(Optional.of(new DeviceCodePrompt.Prompt(LINK, "ABCD-EFGH")), feed(sanitised).prompt());
    }

    @Test
    void aDifferentLinkIsNeverShown() {
        DeviceCodePrompt p = feed(codexOutput("https://auth.openai.com.evil.example/codex/device", "ABCD-EFGH"));
        assertTrue(p.sawForeignLink());
        assertEquals(Optional.empty(), p.prompt());
    }

    @Test
    void aCodeWithEscapesOrOddCharactersIsNotACode() {
        assertEquals(Optional.empty(), feed(codexOutput(LINK, "ABCD-EF\u001b]0;owned\u0007GH; rm -rf")).prompt());
        assertEquals(Optional.empty(), feed(codexOutput(LINK, "abcd-efgh")).prompt());
        assertFalse(feed(codexOutput(LINK, "ABCD-EFGH")).sawForeignLink());
    }
}
