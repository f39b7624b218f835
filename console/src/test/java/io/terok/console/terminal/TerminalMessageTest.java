package io.terok.console.terminal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TerminalMessageTest {
    @Test
    void startResizeAndDetachAreRead() {
        assertEquals(new TerminalMessage.Start(120, 40), TerminalMessage.parse("{\"start\":{\"cols\":120,\"rows\":40}}"));
        assertEquals(new TerminalMessage.Resize(80, 24), TerminalMessage.parse("{\"resize\":{\"cols\":80,\"rows\":24}}"));
        assertInstanceOf(TerminalMessage.Detach.class, TerminalMessage.parse("{\"detach\":true}"));
    }

    @Test
    void aBadSizeIsRefusedNamingItsField() {
        for (String bad : new String[] {"{\"resize\":{\"cols\":0,\"rows\":24}}", "{\"resize\":{\"cols\":10001,\"rows\":24}}",
                "{\"resize\":{\"cols\":\"80\",\"rows\":24}}", "{\"resize\":{\"cols\":80.5,\"rows\":24}}",
                "{\"resize\":{\"rows\":24}}"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TerminalMessage.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("resize.cols "), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> TerminalMessage.parse("{\"start\":{\"cols\":80,\"rows\":-1}}")).getMessage().startsWith("start.rows "));
    }

    @Test
    void anythingElseIsRefused() {
        for (String bad : new String[] {"ls\n", "{}", "[]", "{\"detach\":false}", "{\"exec\":\"sh\"}",
                "{\"detach\":true,\"start\":{\"cols\":1,\"rows\":1}}", "{\"start\":" + "1".repeat(300) + "}"}) {
            assertThrows(IllegalArgumentException.class, () -> TerminalMessage.parse(bad), bad);
        }
    }
}
