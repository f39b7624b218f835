package io.terok.runtime.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.terok.api.v1.TaskEvent;
import io.terok.api.v1.TaskEventKind;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class TaskEventsTest {
    private static JsonObject event(String action, JsonObject attributes) {
        return new JsonObject().put("Action", action).put("timeNano", 1_765_000_000_123_456_789L)
                .put("Actor", new JsonObject().put("Attributes", attributes));
    }

    @Test
    void aDiedEventNamesItsTaskByLabelWithExitCodeAndNanosecondTime() {
        TaskEvent e = TaskEvents.fromPodman(event("died", new JsonObject().put(TaskManager.TASK_LABEL, "ab".repeat(16))
                .put("name", "agent-1").put("containerExitCode", "3")));
        assertEquals(TaskEventKind.TASK_EVENT_KIND_DIED, e.getKind());
        assertEquals("ab".repeat(16), e.getTaskId());
        assertEquals("agent-1", e.getName());
        assertEquals(3, e.getExitCode());
        assertEquals(1_765_000_000L, e.getTime().getSeconds());
        assertEquals(123_456_789, e.getTime().getNanos());
    }

    @Test
    void secondsAreUsedWithoutNanosAndABadExitCodeIsMinusOne() {
        TaskEvent e = TaskEvents.fromPodman(new JsonObject().put("status", "stop").put("time", 1_765_000_000L)
                .put("Actor", new JsonObject().put("Attributes", new JsonObject().put("containerExitCode", "x"))));
        assertEquals(TaskEventKind.TASK_EVENT_KIND_STOPPED, e.getKind());
        assertEquals(1_765_000_000L, e.getTime().getSeconds());
        assertEquals(-1, e.getExitCode());
        assertEquals("", e.getTaskId(), "a container without terok's label names no task");
    }

    @Test
    void actionsTerokDoesNotReportAreDropped() {
        assertNull(TaskEvents.fromPodman(event("exec_died", new JsonObject())));
    }
}
