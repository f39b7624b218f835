package io.terok.runtime.agenttask;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.AgentTask;
import io.terok.api.v1.AgentTaskOutcome;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the record keeps when a task is deleted while its agent is still ending. */
class AgentTaskStoreTest {
    static final String ID = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path tmp;

    @Test
    void theEndOfARunDoesNotBringADeletedTaskBack() {
        AgentTaskStore store = new AgentTaskStore(tmp.resolve("tasks"), tmp.resolve("config"));
        AgentTask running = AgentTask.newBuilder().setId(ID).setProject("demo").setName("demo-1")
                .setOutcome(AgentTaskOutcome.AGENT_TASK_OUTCOME_RUNNING).build();
        store.save(running);
        AgentTask stopped = running.toBuilder().setOutcome(AgentTaskOutcome.AGENT_TASK_OUTCOME_STOPPED).setExitCode(137).build();
        assertTrue(store.saveIfPresent(stopped), "a task still there is updated");
        assertEquals(AgentTaskOutcome.AGENT_TASK_OUTCOME_STOPPED, store.get(ID).orElseThrow().getOutcome());

        store.delete(ID);
        assertFalse(store.saveIfPresent(stopped), "the run's end after a delete writes nothing");
        assertTrue(store.get(ID).isEmpty(), "the deleted task stays deleted");
        assertEquals(List.of(), store.all());
    }
}
