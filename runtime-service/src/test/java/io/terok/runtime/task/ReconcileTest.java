package io.terok.runtime.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.ServiceOptOut;
import io.terok.api.v1.Task;
import io.terok.common.ServiceException;
import io.terok.runtime.compose.ServiceUnavailableException;
import io.terok.runtime.fake.CallLog;
import io.terok.runtime.fake.FakeRuntime;
import io.terok.runtime.panic.PanicLock;
import io.terok.runtime.spec.RunSpecValidator;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * runtime-service killed in the middle of a launch (the fakes throw an Error no undo catches, as a kill -9 runs no
 * undo): the next process finds the record the launch wrote first and undoes everything the launch took, whatever step
 * it died at.
 */
class ReconcileTest {
    /** Every step of a launch; the process dies as it makes the call. */
    private static final List<String> STEPS = List.of("vault.mint", "gate.mint", "shield.prepare", "clearance.register",
            "podman.create", "podman.start", "shield.loaded");

    @TempDir
    Path dir;

    /** The next runtime-service process over the same records, podman and services. */
    private static TaskManager nextProcess(FakeRuntime rt, Path dir) {
        return new TaskManager(rt.podman, new TaskStore(dir.resolve("tasks")), rt.services,
                new RunSpecValidator(List.of(dir), Set.of(), 4), new PanicLock(dir.resolve("panic.lock"), Clock.systemUTC()),
                dir.resolve("seccomp"));
    }

    @Test
    void aLaunchKilledAtAnyStepIsUndoneByTheNextProcess() {
        for (String step : STEPS) {
            Path d = dir.resolve(step);
            FakeRuntime rt = new FakeRuntime(d);
            rt.log.kill(step);
            assertThrows(CallLog.Killed.class, () -> rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything())));
            List<Task> left = rt.store.all();
            assertEquals(1, left.size(), step + ": the record written before the first service was asked");
            assertTrue(left.get(0).getLaunching(), step);
            rt.log.clearFailures();

            assertEquals(0, nextProcess(rt, d).reconcileInterruptedLaunches(), step);
            assertEquals(Set.of(), rt.services.held(), step + ": no token, gate token, firewall state or registration");
            assertTrue(rt.podman.containers().isEmpty(), step + ": no container");
            assertEquals(List.of(), rt.store.all(), step + ": no record");
            assertEquals("agent-1", nextProcess(rt, d).launch(FakeRuntime.request(FakeRuntime.everything())).getName(),
                    step + ": the name is free again");
        }
    }

    @Test
    void aFinishedLaunchIsNotTouched() {
        FakeRuntime rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));
        assertFalse(rt.store.get(t.getId()).orElseThrow().getLaunching());
        rt.log.clear();
        assertEquals(0, nextProcess(rt, dir).reconcileInterruptedLaunches());
        assertEquals(List.of(), rt.log.calls());
        assertEquals(4, rt.services.held().size());
    }

    @Test
    void aServiceThatIsDownKeepsTheRecordForTheNextAttempt() {
        FakeRuntime rt = new FakeRuntime(dir);
        rt.log.kill("podman.create");
        assertThrows(CallLog.Killed.class, () -> rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything())));
        rt.log.clearFailures();
        rt.log.fail("gate.revoke", () -> new ServiceUnavailableException("gate", "gate-service is not running"));
        TaskManager next = nextProcess(rt, dir);
        assertEquals(1, next.reconcileInterruptedLaunches());
        assertEquals(1, rt.store.all().size(), "kept while the gate holds a token");
        ServiceException start = assertThrows(ServiceException.class, () -> next.start("agent-1"));
        assertTrue(start.getMessage().contains("its launch was cut off"), start.getMessage());
        rt.log.clearFailures();
        assertEquals(0, next.reconcileInterruptedLaunches());
        assertEquals(Set.of(), rt.services.held());
        assertEquals(List.of(), rt.store.all());
    }

    @Test
    void onlyTheServicesTheSpecCouldHaveWiredAreAsked() {
        FakeRuntime rt = new FakeRuntime(dir);
        rt.log.kill("podman.create");
        assertThrows(CallLog.Killed.class, () -> rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything().setProject("")
                .setNetwork(NetworkMode.NETWORK_MODE_FILTERED), ServiceOptOut.newBuilder().setClearance(true))));
        rt.log.clearFailures();
        rt.log.clear();
        assertEquals(0, nextProcess(rt, dir).reconcileInterruptedLaunches());
        assertEquals(List.of("shield.release", "vault.revoke"), rt.log.calls(), "no gate (no project), no clearance (opted out)");
    }

    @Test
    void removeOfACutOffLaunchReleasesWhatItMayHold() {
        FakeRuntime rt = new FakeRuntime(dir);
        rt.log.kill("podman.create");
        assertThrows(CallLog.Killed.class, () -> rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything())));
        rt.log.clearFailures();
        assertEquals(List.of(), nextProcess(rt, dir).remove("agent-1", true).getWarningsList());
        assertEquals(Set.of(), rt.services.held());
    }
}
