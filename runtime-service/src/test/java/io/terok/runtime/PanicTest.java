package io.terok.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.ClearPanicRequest;
import io.terok.api.v1.GetPanicStateRequest;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.PanicReport;
import io.terok.api.v1.PanicRequest;
import io.terok.api.v1.PanicTaskOutcome;
import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.ServiceOptOut;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskRef;
import io.terok.api.v1.TaskState;
import io.terok.runtime.panic.PanicLock;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The emergency stop against real containers. Here runtime runs alone (no shield, no vault), so it shows the fail
 * closed cases: a task that has network but no firewall to block is killed, a task without network keeps running
 * (it can reach nothing), the vault that does not answer is reported as not held, and launches are refused, with
 * nothing created, until the panic is cleared; the lock survives a restart of the service.
 */
@QuarkusTest
class PanicTest {
    static RuntimeApi api;
    static final List<String> launched = new ArrayList<>();

    @BeforeAll
    static void connect() {
        api = new RuntimeApi();
        api.stub().clearPanic(ClearPanicRequest.getDefaultInstance());
    }

    @AfterAll
    static void cleanUp() {
        try {
            api.stub().clearPanic(ClearPanicRequest.getDefaultInstance());
            for (String id : launched) {
                api.stub().remove(RemoveRequest.newBuilder().setTask(id).setForce(true).build());
            }
        } finally {
            api.close();
        }
    }

    static Task launch(LaunchRequest.Builder request) {
        Task t = api.stub().launch(request.build());
        launched.add(t.getId());
        return t;
    }

    static TaskState state(Task t) {
        return api.stub().inspect(TaskRef.newBuilder().setTask(t.getId()).build()).getState();
    }

    static PanicTaskOutcome outcome(PanicReport r, Task t) {
        return r.getTasksList().stream().filter(o -> o.getTaskId().equals(t.getId())).findFirst()
                .orElseThrow(() -> new AssertionError("task " + t.getName() + " is not in the report: " + r));
    }

    @Test
    void panicKillsWhatItCannotFirewallRefusesLaunchesAndHoldsUntilCleared() {
        Task offline = launch(LaunchRequest.newBuilder().setRunSpec(RuntimeApi.offline("sleep", "600").setName("panic-offline")));
        // Network without a firewall: the operator opted out of shield. Nothing in it but sleep.
        Task unfiltered = launch(LaunchRequest.newBuilder()
                .setRunSpec(RuntimeApi.offline("sleep", "600").setName("panic-unfiltered").setNetwork(NetworkMode.NETWORK_MODE_FILTERED))
                .setOptOut(ServiceOptOut.newBuilder().setShield(true)));
        assertEquals(TaskState.TASK_STATE_RUNNING, state(unfiltered));

        PanicReport report = api.stub().panic(PanicRequest.getDefaultInstance());

        assertTrue(report.getState().getActive(), report.toString());
        PanicTaskOutcome u = outcome(report, unfiltered);
        assertTrue(u.getStopped() && u.getContained() && !u.getBlocked(), u.toString());
        assertTrue(u.getDetail().contains("unfiltered network"), u.getDetail());
        assertEquals(TaskState.TASK_STATE_EXITED, state(unfiltered), "killed: it had a way out and no firewall");
        PanicTaskOutcome o = outcome(report, offline);
        assertTrue(o.getContained() && !o.getStopped(), o.toString());
        assertEquals("no network", o.getDetail());
        assertEquals(TaskState.TASK_STATE_RUNNING, state(offline), "no network: kept for inspection");
        assertFalse(report.getVaultHeld(), "no vault-service here");
        assertTrue(report.getVaultError().contains("vault-service is not running"), report.getVaultError());

        // From now on nothing is launched, and a refused launch leaves nothing behind.
        String mark = RuntimeApi.newMark();
        var refused = RuntimeApi.expectError(() -> api.launch(RuntimeApi.offline("true").putLabels(RuntimeApi.TEST_MARK, mark)));
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("panic")
                && refused.getStatus().getDescription().contains("terok panic --clear"), refused.getStatus().getDescription());
        assertEquals(List.of(), RuntimeApi.podmanTaskContainers(mark), "no container created");
        assertTrue(api.stub().list(ListTasksRequest.getDefaultInstance()).getPanic().getActive(), "ps shows the panic");

        // A restart of runtime-service reads the same lock from its data directory.
        Path lockFile = Path.of(ConfigProvider.getConfig().getValue("terok.data-dir", String.class), "runtime", "panic.lock");
        PanicLock afterRestart = new PanicLock(lockFile, Clock.systemUTC());
        assertEquals(report.getState().getSince().getSeconds(), afterRestart.since().orElseThrow().getEpochSecond());

        // A second panic with --stop kills the rest too; the panic keeps its first time.
        PanicReport again = api.stub().panic(PanicRequest.newBuilder().setStopTasks(true).build());
        assertEquals(report.getState().getSince(), again.getState().getSince());
        assertTrue(outcome(again, offline).getStopped(), again.toString());
        assertEquals(TaskState.TASK_STATE_EXITED, state(offline));

        assertFalse(api.stub().clearPanic(ClearPanicRequest.getDefaultInstance()).getActive());
        assertFalse(api.stub().getPanicState(GetPanicStateRequest.getDefaultInstance()).getActive());
        assertTrue(new PanicLock(lockFile, Clock.systemUTC()).since().isEmpty(), "cleared on disk too");
        assertEquals(0, api.runToEnd(RuntimeApi.offline("true")).exitCode(), "launches work again");
    }
}
