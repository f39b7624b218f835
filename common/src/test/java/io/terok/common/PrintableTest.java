package io.terok.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PrintableTest {
    @Test
    void lineReplacesEveryKindOfControl() {
        assertEquals("a?b?c?d?e?f", Printable.line("a\u001bb\nc\u009bd\u202ee\u2028f"));
    }

    @Test
    void lineIsBounded() {
        assertEquals("abc…", Printable.line("abcdef", 3));
    }

    @Test
    void linesShowEscapesVisiblyAndKeepNewlines() {
        assertEquals("red \\x1b[31mX\\x1b[0m\n\tnext\\x0d \\u202e", Printable.lines("red \u001b[31mX\u001b[0m\n\tnext\r \u202e"));
    }

    @Test
    void markupIsEscaped() {
        assertEquals("&lt;b&gt;x&amp;y&lt;/b&gt;", Printable.markup("<b>x&y</b>", 100));
    }
}
