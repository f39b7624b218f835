package io.terok.runtime.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.runtime.podman.OutputSink;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputHandoverTest {
    /** What the client got: "1:text" per chunk (stream 1 stdout, 2 stderr), then "end". */
    private final List<String> got = new ArrayList<>();
    private final OutputSink client = new OutputSink() {
        @Override
        public void output(int stream, byte[] data) {
            got.add(stream + ":" + new String(data, StandardCharsets.UTF_8));
        }

        @Override
        public void end(Throwable error) {
            got.add(error == null ? "end" : "end " + error.getMessage());
        }
    };

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theRestOfTheCompleteLogFollowsWhatTheFollowHadPassedOnOnceAndInOrder() {
        OutputHandover h = new OutputHandover(client);
        OutputSink follow = h.follow();
        follow.output(1, b("one\n"));
        follow.output(2, b("two\n"));
        assertTrue(h.cut());
        follow.output(1, b("thr")); // what podman's follow still sends after the cut is dropped
        follow.end(new IllegalStateException("closed")); // and so is its end (the stream was closed)

        OutputSink rest = h.rest(); // the complete log, from its start
        rest.output(1, b("one\n"));
        rest.output(2, b("tw"));
        rest.output(2, b("o\nx")); // a chunk that straddles where the follow had got to
        rest.output(1, b("three\n"));
        rest.end(null);

        assertEquals(List.of("1:one\n", "2:two\n", "2:x", "1:three\n", "end"), got);
    }

    @Test
    void aFollowThatHasEndedIsNotCutAndEndsOnce() {
        OutputHandover h = new OutputHandover(client);
        OutputSink follow = h.follow();
        follow.output(1, b("all\n"));
        follow.end(null);

        assertFalse(h.cut(), "the follow's output was whole");
        assertThrows(IllegalStateException.class, h::rest);
        assertEquals(List.of("1:all\n", "end"), got);
    }

    @Test
    void aFollowThatHadPassedNothingOnLeavesTheWholeLogToTheRest() {
        OutputHandover h = new OutputHandover(client);
        assertTrue(h.cut());
        OutputSink rest = h.rest();
        rest.output(1, b("late\n"));
        rest.end(null);
        rest.end(null);

        assertEquals(List.of("1:late\n", "end"), got);
    }
}
