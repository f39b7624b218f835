package io.terok.runtime.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.Task;
import io.terok.runtime.compose.ServiceUnavailableException;
import io.terok.runtime.fake.FakeRuntime;
import io.terok.runtime.panic.PanicLock;
import io.terok.runtime.spec.RunSpecValidator;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `terok run --rm` returns once it has the exit code; runtime removes the task and releases its wiring afterwards,
 * whoever is attached, and a release that fails is kept, shown and retried.
 */
class AutoRemoveTest {
    /** Generous: these are threads of this process, but the machine may be loaded. */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private FakeRuntime rt;

    private static LaunchRequest autoRemove() {
        return FakeRuntime.request(FakeRuntime.everything()).toBuilder().setAutoRemove(true).build();
    }

    private String container(Task t) {
        return rt.store.get(t.getId()).orElseThrow().getContainerId();
    }

    private void assertNothingLeft(String why) {
        await(() -> rt.podman.containers().isEmpty() && rt.services.held().isEmpty() && rt.store.all().isEmpty(),
                why + ": containers " + rt.podman.containers().keySet() + ", held " + rt.services.held()
                        + ", records " + rt.store.all().size());
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + PATIENCE + ": " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void theFollowerHasTheExitCodeBeforeTheTaskIsRemovedThenEverythingIsReleased() {
        rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(autoRemove());
        assertTrue(rt.store.get(t.getId()).orElseThrow().getAutoRemove(), "the record says runtime removes it");
        AutoRemoval.Follower follower = rt.tasks.followToExit(t.getId());
        rt.podman.exit(container(t), 3);
        assertEquals(3, rt.tasks.waitExit(t.getId(), PATIENCE), "the container is still there for the follower's exit code");
        assertEquals(4, rt.services.held().size(), "nothing is released while the client still follows");
        follower.delivered();
        assertNothingLeft("after the exit code was delivered");
        assertEquals(List.of("clearance.unregister", "shield.release", "gate.revoke", "vault.revoke"),
                rt.log.after("podman.remove"), "the container first, then the wiring in the reverse of the launch");
    }

    @Test
    void aClientKilledWhileFollowingLeavesTheRemovalToRuntime() {
        rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(autoRemove());
        AutoRemoval.Follower follower = rt.tasks.followToExit(t.getId());
        follower.gone(); // the client died before the task ended
        assertEquals(1, rt.podman.containers().size(), "a running task is not removed");
        rt.podman.exit(container(t), 0);
        assertNothingLeft("runtime saw the exit itself");
    }

    @Test
    void aTaskNobodyFollowsIsRemovedWhenItEnds() {
        rt = new FakeRuntime(dir, Duration.ofMillis(50));
        Task t = rt.tasks.launch(autoRemove());
        rt.podman.exit(container(t), 0);
        assertNothingLeft("the launcher never followed");
    }

    @Test
    void aTaskWithoutAutoRemoveIsLeftAlone() throws InterruptedException {
        rt = new FakeRuntime(dir, Duration.ofMillis(50));
        Task t = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));
        AutoRemoval.Follower follower = rt.tasks.followToExit(t.getId());
        rt.podman.exit(container(t), 0);
        follower.delivered();
        Thread.sleep(300);
        assertEquals(1, rt.store.all().size());
        assertEquals(1, rt.podman.containers().size());
        assertEquals(4, rt.services.held().size());
    }

    @Test
    void aFailedReleaseIsKeptShownAndRetriedUntilItSucceeds() {
        rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(autoRemove());
        AutoRemoval.Follower follower = rt.tasks.followToExit(t.getId());
        rt.log.fail("gate.revoke", () -> new ServiceUnavailableException("gate", "gate-service is not running"));
        rt.podman.exit(container(t), 0);
        follower.delivered();
        await(() -> rt.store.get(t.getId()).map(Task::getReleasePending).orElse(false), "the record marks the pending release");
        Task kept = rt.store.get(t.getId()).orElseThrow();
        assertEquals(List.of("could not release gate token: gate-service is not running; run remove again once it is back"),
                kept.getWarningsList());
        assertEquals(Set.of("gate:" + t.getId()), rt.services.held(), "only the gate token is still held");
        assertTrue(rt.podman.containers().isEmpty(), "the container is gone");
        assertTrue(rt.tasks.list(false).stream().anyMatch(x -> x.getId().equals(t.getId()) && x.getReleasePending()),
                "terok ps lists it without -a");

        // The record is marked a moment before the auto-remover lets go of the task; until then the reconciler leaves
        // it to the remover (0), after that it retries and finds it still held (1).
        await(() -> rt.tasks.reconcileInterruptedLaunches() == 1, "still held while the gate is away, retried by the reconciler");
        rt.log.clearFailures();
        assertEquals(0, rt.tasks.reconcileInterruptedLaunches());
        assertNothingLeft("the gate is back");
    }

    @Test
    void theNextRuntimeProcessRemovesAnEndedAutoRemoveTaskAndWatchesARunningOne() {
        rt = new FakeRuntime(dir);
        Task ended = rt.tasks.launch(autoRemove());
        Task running = rt.tasks.launch(autoRemove().toBuilder().setRunSpec(FakeRuntime.everything().setName("agent-2")).build());
        // runtime-service is killed: the watches of this process are lost with it.
        rt.podman.exit(container(ended), 0);
        TaskManager next = new TaskManager(rt.podman, new TaskStore(dir.resolve("tasks")), rt.services,
                new RunSpecValidator(List.of(dir), Set.of(), 4), new PanicLock(dir.resolve("panic.lock"), Clock.systemUTC()),
                dir.resolve("seccomp"));
        assertEquals(0, next.reconcileInterruptedLaunches());
        await(() -> rt.store.get(ended.getId()).isEmpty(), "the ended one is removed");
        assertEquals(1, rt.store.all().size(), "the running one stays while it runs");
        rt.podman.exit(container(running), 0);
        assertNothingLeft("the running one, once it ended");
    }

    @Test
    void theSameNameRightAfterARemovalUnderWayWaitsForIt() {
        rt = new FakeRuntime(dir);
        Task first = rt.tasks.launch(autoRemove());
        AutoRemoval.Follower follower = rt.tasks.followToExit(first.getId());
        rt.podman.exit(container(first), 0);
        follower.delivered();
        Task second = rt.tasks.launch(autoRemove()); // the same name, agent-1, as `terok run --rm --name` twice
        assertEquals("agent-1", second.getName());
        assertTrue(rt.store.get(first.getId()).isEmpty(), "the first one was removed before the second took its name");
    }
}
