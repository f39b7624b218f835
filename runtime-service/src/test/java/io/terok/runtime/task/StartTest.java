package io.terok.runtime.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.ServiceOptOut;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskState;
import io.terok.common.ServiceException;
import io.terok.runtime.compose.ServiceUnavailableException;
import io.terok.runtime.fake.FakeRuntime;
import io.terok.runtime.panic.PanicLock;
import io.terok.runtime.podman.PodmanException;
import io.terok.runtime.spec.RunSpecValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting a stopped task again, without Quarkus or podman: what each start asks of the services, in which order, that
 * it mints nothing, and that a start failing at any step leaves the task exactly as it was: stopped, with the same
 * wiring held, its container not running.
 */
class StartTest {
    /** A start of a task wired to every service: checks and re-registrations first, then the container. */
    private static final List<String> FULL_START = List.of("shield.status", "vault.list", "vault.mint", "gate.tokens",
            "clearance.register", "podman.start", "shield.loaded");

    private Path dir;
    private FakeRuntime rt;
    private Task task;
    private Set<String> heldAtLaunch;

    @BeforeEach
    void launchAndStop(@TempDir Path dir) {
        this.dir = dir;
        rt = new FakeRuntime(dir);
        task = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));
        heldAtLaunch = rt.services.held();
        rt.tasks.stop(task.getId(), 1);
        rt.log.clear();
    }

    private static Supplier<RuntimeException> down(String service) {
        return () -> new ServiceUnavailableException(service, service + "-service is not running");
    }

    private boolean running() {
        return rt.podman.containers().get(task.getContainerId()).running();
    }

    /** Starts with {@code failing} failing; asserts how far it got and that the task is as it was. */
    private ServiceException failAt(String failing) {
        ServiceException e = assertThrows(ServiceException.class, () -> rt.tasks.start(task.getName()));
        List<String> calls = rt.log.calls();
        assertEquals(FULL_START.subList(0, FULL_START.indexOf(failing) + 1), calls.subList(0, calls.indexOf(failing) + 1));
        assertAsItWas();
        return e;
    }

    private void assertAsItWas() {
        assertFalse(running(), "the container is not running");
        assertEquals(heldAtLaunch, rt.services.held(), "the wiring is held as before, nothing minted or released");
        assertEquals(task.getWiring(), rt.store.get(task.getId()).orElseThrow().getWiring(), "the record is unchanged");
        // and once the service is back the same task starts
        rt.log.clearFailures();
        rt.services.shieldHookRuns(true);
        assertEquals(TaskState.TASK_STATE_RUNNING, rt.tasks.start(task.getId()).getState());
    }

    @Test
    void aStartChecksEveryWiringThenStartsTheSameContainerMintingNothing() {
        Task started = rt.tasks.start(task.getName());
        assertEquals(FULL_START, rt.log.calls());
        assertEquals(TaskState.TASK_STATE_RUNNING, started.getState());
        assertEquals(task.getContainerId(), started.getContainerId(), "the same container, with the same environment");
        assertEquals(task.getWiring(), started.getWiring());
        assertEquals(heldAtLaunch, rt.services.held());
        assertEquals(1, rt.podman.containers().size(), "no second container");
    }

    @Test
    void startingARunningTaskDoesNothing() {
        rt.tasks.start(task.getName());
        rt.log.clear();
        assertEquals(TaskState.TASK_STATE_RUNNING, rt.tasks.start(task.getName()).getState());
        assertEquals(List.of(), rt.log.calls());
    }

    @Test
    void restartStopsThenStarts() {
        rt.tasks.start(task.getName());
        rt.log.clear();
        rt.tasks.restart(task.getName(), 1);
        assertEquals("podman.stop", rt.log.calls().get(0));
        assertEquals(FULL_START, rt.log.calls().subList(1, rt.log.calls().size()));
        assertTrue(running());
    }

    @Test
    void shieldDownRefusesTheStartFailClosed() {
        rt.log.fail("shield.status", down("shield"));
        ServiceException e = failAt("shield.status");
        assertTrue(e.getMessage().contains("refusing to start the task with unfiltered egress"), e.getMessage());
    }

    @Test
    void shieldThatForgotTheTaskIsAClearErrorNeverAnUnfilteredStart() {
        rt.services.forget("shield", task.getId());
        heldAtLaunch = rt.services.held();
        ServiceException e = assertThrows(ServiceException.class, () -> rt.tasks.start(task.getName()));
        assertEquals(ServiceException.Kind.PRECONDITION, e.kind());
        assertTrue(e.getMessage().startsWith("task agent-1: shield-service has no firewall state for it any more"), e.getMessage());
        assertTrue(e.getMessage().contains("terok rm agent-1"), e.getMessage());
        assertEquals(List.of("shield.status"), rt.log.calls(), "nothing else is asked, the container is not started");
        assertFalse(running());
    }

    @Test
    void aVaultThatLostTheTokensIsAClearError() {
        rt.services.forget("vault", task.getId());
        ServiceException e = assertThrows(ServiceException.class, () -> rt.tasks.start(task.getName()));
        assertTrue(e.getMessage().contains("the vault no longer holds its phantom token(s) [tok-claude]"), e.getMessage());
        assertEquals(List.of("shield.status", "vault.list"), rt.log.calls());
        assertFalse(running());
    }

    @Test
    void aGateThatLostTheTokenIsAClearError() {
        rt.services.forget("gate", task.getId());
        ServiceException e = assertThrows(ServiceException.class, () -> rt.tasks.start(task.getName()));
        assertTrue(e.getMessage().contains("the gate no longer holds its token"), e.getMessage());
        assertFalse(running());
    }

    @Test
    void eachServiceDownFailsTheStartBeforeTheContainerStarts() {
        for (String step : List.of("vault.list", "vault.mint", "gate.tokens", "clearance.register")) {
            rt.log.clear();
            rt.log.fail(step, down(step.substring(0, step.indexOf('.'))));
            failAt(step);
            rt.tasks.stop(task.getId(), 1);
        }
    }

    @Test
    void podmanFailingToStartLeavesTheTaskAsItWas() {
        rt.log.fail("podman.start", () -> new PodmanException(500, "conmon failed"));
        failAt("podman.start");
    }

    @Test
    void aFirewallThatDidNotLoadStopsTheContainerAgain() {
        rt.services.shieldHookRuns(false);
        ServiceException e = failAt("shield.loaded");
        assertTrue(e.getMessage().contains("the firewall did not load when the container started again"), e.getMessage());
    }

    @Test
    void shieldGoneAfterTheContainerStartedStopsItAgain() {
        rt.log.fail("shield.loaded", down("shield"));
        failAt("shield.loaded");
    }

    @Test
    void aPanicRefusesTheStartBeforeAnyServiceIsAsked() {
        rt.panic.engage();
        ServiceException e = assertThrows(ServiceException.class, () -> rt.tasks.start(task.getName()));
        assertEquals(ServiceException.Kind.PRECONDITION, e.kind());
        assertEquals(List.of(), rt.log.calls());
        assertFalse(running());
    }

    @Test
    void aPanicDuringTheStartStopsTheContainerAgain() {
        rt.podman.onStart(rt.panic::engage);
        assertThrows(ServiceException.class, () -> rt.tasks.start(task.getName()));
        assertFalse(running());
        assertEquals("podman.stop", rt.log.after("podman.start").get(0));
    }

    @Test
    void aRevokedTaskStaysRevokedAcrossStartsAndARestartOfRuntime() throws Exception {
        rt.tasks.start(task.getName());
        rt.tasks.revokeCredentials(task.getName());
        rt.tasks.stop(task.getName(), 1);
        // a new runtime-service process over the same records
        TaskManager again = new TaskManager(rt.podman, new TaskStore(dir.resolve("tasks")), rt.services,
                new RunSpecValidator(List.of(dir), Set.of(), 4), new PanicLock(dir.resolve("panic.lock"), Clock.systemUTC()),
                dir.resolve("seccomp"));
        rt.log.clear();
        Task started = again.start(task.getName());
        assertEquals(List.of("shield.status", "vault.revoke", "gate.revoke", "clearance.register", "podman.start",
                "shield.loaded"), rt.log.calls(), "revoked again; no token is checked, minted or re-opened");
        assertTrue(started.getWiring().getCredentialsRevoked());
        assertEquals(Set.of("shield:" + task.getId(), "clearance:" + task.getId()), rt.services.held());
        Path agentDir = rt.services.agentDir(task.getId());
        assertTrue(Files.isDirectory(agentDir), "the SSH agent's mount source is there again, so the container starts");
        try (var entries = Files.list(agentDir)) {
            assertEquals(0, entries.count(), "and empty: no agent socket");
        }
    }

    @Test
    void aRevokedTaskIsNotStartedWhenItsRevocationCannotBeRepeated() {
        rt.tasks.revokeCredentials(task.getName());
        rt.log.clear();
        rt.log.fail("gate.revoke", down("gate"));
        ServiceException e = assertThrows(ServiceException.class, () -> rt.tasks.start(task.getName()));
        assertTrue(e.getMessage().contains("could not be revoked again before its start"), e.getMessage());
        assertFalse(rt.log.calls().contains("podman.start"));
        assertFalse(running());
    }

    @Test
    void aTaskWhoseContainerWasRemovedOutsideTerokIsAClearError() {
        rt.podman.remove(task.getContainerId(), true);
        rt.log.clear();
        ServiceException e = assertThrows(ServiceException.class, () -> rt.tasks.start(task.getName()));
        assertTrue(e.getMessage().contains("its container is gone"), e.getMessage());
        assertEquals(List.of(), rt.log.calls());
    }

    @Test
    void anOptedOutTaskStartsAsItWasLaunchedAskingNoService() {
        Task bare = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything().setName("bare").clearProviders().setProject("")
                .setNetwork(NetworkMode.NETWORK_MODE_FILTERED), ServiceOptOut.newBuilder().setShield(true)));
        rt.tasks.stop(bare.getId(), 1);
        rt.log.clear();
        rt.tasks.start("bare");
        assertEquals(List.of("podman.start"), rt.log.calls());
    }
}
