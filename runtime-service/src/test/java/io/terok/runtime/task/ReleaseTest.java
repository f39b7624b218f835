package io.terok.runtime.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.RevokeCredentialsResponse;
import io.terok.api.v1.Task;
import io.terok.runtime.compose.ServiceUnavailableException;
import io.terok.runtime.fake.FakeRuntime;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Remove and revoke give back what the task's record says it holds, and keep the record while a service is away. */
class ReleaseTest {
    private FakeRuntime rt;
    private Task task;

    @BeforeEach
    void launch(@TempDir Path dir) {
        rt = new FakeRuntime(dir);
        task = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));
        rt.log.clear();
    }

    @Test
    void revokeTakesBackTheCredentialsOnlyAndNotesItOnTheRecord() {
        RevokeCredentialsResponse r = rt.tasks.revokeCredentials("agent-1");
        assertEquals(List.of("vault.revoke", "gate.revoke"), rt.log.calls());
        assertEquals(List.of("vault tokens and SSH agent", "gate token"), r.getRevokedList());
        assertEquals(List.of(), r.getFailuresList());
        assertEquals(Set.of("shield:" + task.getId(), "clearance:" + task.getId()), rt.services.held(), "the firewall stays");
        assertTrue(rt.podman.containers().values().iterator().next().running(), "the container keeps running");
        String note = "credentials revoked by the operator (vault tokens and SSH agent, gate token)";
        assertTrue(rt.store.get(task.getId()).orElseThrow().getWarningsList().contains(note));
        rt.tasks.revokeCredentials("agent-1");
        assertEquals(1, rt.store.get(task.getId()).orElseThrow().getWarningsList().stream().filter(note::equals).count(),
                "revoking again does not repeat the note");
    }

    @Test
    void revokeWithTheGateAwayReportsItAndRevokesTheRest() {
        rt.log.fail("gate.revoke", () -> new ServiceUnavailableException("gate", "gate-service is not running"));
        RevokeCredentialsResponse r = rt.tasks.revokeCredentials(task.getId());
        assertEquals(List.of("vault tokens and SSH agent"), r.getRevokedList());
        assertEquals(List.of("could not release gate token: gate-service is not running; revoke again once it is back"),
                r.getFailuresList());
    }

    @Test
    void removeWithAServiceAwayKeepsTheRecordForARetry() {
        rt.log.fail("shield.release", () -> new ServiceUnavailableException("shield", "shield-service is not running"));
        assertEquals(List.of("could not release shield state: shield-service is not running; run remove again once it is back"),
                rt.tasks.remove("agent-1", true).getWarningsList());
        assertEquals(List.of("podman.remove", "clearance.unregister", "shield.release", "gate.revoke", "vault.revoke"), rt.log.calls());
        assertEquals(Set.of("shield:" + task.getId()), rt.services.held());
        assertEquals(1, rt.store.all().size(), "the record stays while shield holds the task");

        rt.log.clearFailures();
        rt.log.clear();
        assertEquals(List.of(), rt.tasks.remove("agent-1", true).getWarningsList());
        assertEquals(Set.of(), rt.services.held());
        assertEquals(List.of(), rt.store.all());
    }
}
