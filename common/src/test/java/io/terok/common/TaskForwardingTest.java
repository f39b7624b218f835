package io.terok.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TaskForwardingTest {
    @Test
    void aGatekeepingTaskMayBeForwarded() {
        assertEquals("gatekeeping", TaskForwarding.mode(""));
        assertEquals("gatekeeping", TaskForwarding.mode(null));
        assertTrue(TaskForwarding.refusal("demo-1", "terok/abc", "").isEmpty());
        TaskForwarding.requireForwardable("demo-1", "terok/abc", "");
    }

    @Test
    void anOnlineTaskHasNothingToForwardAndSaysWhere() {
        String url = "ssh://git@198.18.0.1:2222/srv/web.git";
        assertEquals("online", TaskForwarding.mode(url));
        String why = TaskForwarding.refusal("web-1", "terok/abc", url).orElseThrow();
        assertTrue(why.contains("online mode") && why.contains("nothing to forward") && why.contains("terok/abc")
                && why.contains(url) && why.startsWith("task web-1 "), why);
        ServiceException e = assertThrows(ServiceException.class, () -> TaskForwarding.requireForwardable("web-1", "terok/abc", url));
        assertEquals(ServiceException.Kind.PRECONDITION, e.kind());
        assertEquals(why, e.getMessage());
    }

    @Test
    void whatTheAgentChoseIsShownAsText() {
        // The branch (and the name, when the agent named the task) reach a terminal and a page.
        String why = TaskForwarding.refusal("web-1", "terok/x\u001b]0;pwned\u0007", "ssh://h/r.git").orElseThrow();
        assertFalse(why.chars().anyMatch(c -> c < 0x20 || c == 0x7f), why);
    }
}
