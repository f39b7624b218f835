package io.terok.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IdsTest {
    @Test
    void taskIdsAreThirtyTwoLowerHexDigits() {
        assertTrue(Ids.isTaskId("0123456789abcdef0123456789abcdef"));
        assertFalse(Ids.isTaskId("0123456789ABCDEF0123456789abcdef"));
        assertFalse(Ids.isTaskId("0123456789abcdef0123456789abcde"));
        assertFalse(Ids.isTaskId("../../etc/passwd"));
        assertFalse(Ids.isTaskId(null));
    }

    @Test
    void projectNamesRefuseTraversalAndGitSuffix() {
        assertTrue(Ids.isProject("my-proj.v2_x"));
        assertFalse(Ids.isProject("a..b"));
        assertFalse(Ids.isProject("repo.git"));
        assertFalse(Ids.isProject("Upper"));
        assertFalse(Ids.isProject("-x"));
        assertFalse(Ids.isProject("a".repeat(64)));
    }

    @Test
    void branchNamesFollowGitRules() {
        assertEquals("terok/abc", Ids.branch("branch", "refs/heads/terok/abc"));
        assertTrue(Ids.isBranch("feature/x-1"));
        for (String bad : new String[] {"", "-rf", "a..b", "a b", "a~1", "x^", "a:b", "a?", "a*", "a[", "a\\b", "a/",
                "/a", "a//b", "a.", "a.lock", ".hidden", "x/.y", "a@{1}", "@", "esc\u001b[2J"}) {
            assertFalse(Ids.isBranch(bad), bad);
        }
    }

    @Test
    void errorsNameTheFieldAndShowTheValueSafely() {
        ServiceException e = assertThrows(ServiceException.class, () -> Ids.taskId("task_id", "x\u001b]52;c;AAAA\u0007"));
        assertEquals(ServiceException.Kind.INVALID, e.kind());
        assertTrue(e.getMessage().startsWith("task_id: 'x?]52;c;AAAA?'"), e.getMessage());
    }
}
