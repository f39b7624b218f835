package io.terok.runtime.task;

import static io.terok.runtime.fake.FakeRuntime.IMAGE;
import static io.terok.runtime.fake.FakeRuntime.everything;
import static io.terok.runtime.fake.FakeRuntime.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.ServiceOptOut;
import io.terok.api.v1.Task;
import io.terok.common.ServiceException;
import io.terok.runtime.compose.ServiceUnavailableException;
import io.terok.runtime.fake.CallLog;
import io.terok.runtime.fake.FakePodman;
import io.terok.runtime.fake.FakeRuntime;
import io.terok.runtime.fake.FakeTaskServices;
import io.terok.runtime.panic.PanicLock;
import io.terok.runtime.podman.PodmanException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launch and its undo without Quarkus or podman: fakes of podman and of the four services log every call in one
 * order, so each test sees which step failed, what was undone and in which order, and that nothing is left held.
 */
class LaunchUndoTest {
    /**
     * A launch that uses every service, phase by phase: the calls of one phase are made at once (in any order), a
     * phase starts when the one before has answered in full.
     */
    private static final List<Set<String>> FULL_LAUNCH = List.of(Set.of("vault.mint", "gate.mint"),
            Set.of("shield.prepare", "clearance.register"), Set.of("podman.create"), Set.of("podman.start"), Set.of("shield.loaded"));
    /**
     * What a failed launch gives back once its container was created, most recent first; a phase's parts are given
     * back in a fixed order (clearance before shield, gate before vault) whichever answered first.
     */
    private static final List<String> LAUNCH_UNDO = List.of("podman.remove", "clearance.unregister", "shield.release",
            "gate.revoke", "vault.revoke");
    /** What Remove gives back, in the order of io.terok.runtime.compose.WiringRelease. */
    private static final List<String> FULL_UNDO = List.of("podman.remove", "clearance.unregister", "shield.release",
            "gate.revoke", "vault.revoke");

    private CallLog log;
    private FakePodman podman;
    private FakeTaskServices services;
    private TaskStore store;
    private PanicLock panic;
    private TaskManager tasks;

    @BeforeEach
    void setUp(@TempDir Path dir) {
        FakeRuntime rt = new FakeRuntime(dir);
        log = rt.log;
        podman = rt.podman;
        services = rt.services;
        store = rt.store;
        panic = rt.panic;
        tasks = rt.tasks;
    }

    private static Supplier<RuntimeException> down(String service) {
        return () -> new ServiceUnavailableException(service, service + "-service is not running");
    }

    /**
     * Launches with every service; asserts that the launch went exactly as far as {@code failing}, that what
     * followed it was {@code undone} (most recent first) and that nothing is left. Answers the launch's failure.
     */
    private RuntimeException failAt(String failing, List<String> undone) {
        RuntimeException e = assertThrows(RuntimeException.class, () -> tasks.launch(request(everything())));
        List<String> calls = log.calls();
        assertTrue(calls.contains(failing), failing + " was not reached: " + calls);
        int phase = 0;
        while (!FULL_LAUNCH.get(phase).contains(failing)) {
            phase++;
        }
        List<Set<String>> launched = FULL_LAUNCH.subList(0, phase + 1);
        int made = launched.stream().mapToInt(Set::size).sum();
        assertPhases(launched, calls.subList(0, made));
        assertEquals(undone, calls.subList(made, calls.size()), "what was undone, most recent first");
        assertNothingLeft();
        return e;
    }

    /** {@code calls} are the phases' calls, each phase's in any order, the phases one after another. */
    private static void assertPhases(List<Set<String>> phases, List<String> calls) {
        int at = 0;
        for (Set<String> phase : phases) {
            assertTrue(at + phase.size() <= calls.size(), "phase " + phase + " missing from " + calls);
            assertEquals(phase, Set.copyOf(calls.subList(at, at + phase.size())), "phase " + phase + " in " + calls);
            at += phase.size();
        }
        assertEquals(at, calls.size(), "nothing more than " + phases + ": " + calls);
    }

    private void assertNothingLeft() {
        assertEquals(Set.of(), services.held(), "no token, firewall or registration left");
        assertEquals(List.of(), store.all(), "no task record left");
        assertTrue(podman.containers().isEmpty(), "no container left");
        // The name was not left reserved: a launch under it now goes through.
        log.clearFailures();
        services.shieldHookRuns(true);
        assertEquals("agent-1", tasks.launch(request(everything())).getName());
    }

    @Test
    void aFullLaunchAsksEachServiceOnceInOrderAndRecordsWhatItWired() {
        Task t = tasks.launch(request(everything()));
        assertPhases(FULL_LAUNCH, log.calls());
        assertTrue(t.getId().matches("[0-9a-f]{32}"), t.getId());
        assertEquals(List.of("tok-claude"), t.getWiring().getVaultTokenIdsList());
        assertTrue(t.getWiring().getVaultSshAgent());
        assertTrue(t.getWiring().getShieldApplied());
        assertTrue(t.getWiring().getClearanceRegistered());
        // The fake is rootful podman 5: slirp4netns (rootful podman refuses pasta), whose host loopback is 10.0.2.2.
        assertEquals("http://10.0.2.2:18701/demo.git", t.getWiring().getGateUrl());
        assertEquals(List.of(), t.getWiring().getOptedOutList());
        // Shield opens exactly the vault's and the gate's ports and closes what the vault relays.
        assertEquals(List.of(FakeTaskServices.VAULT_PORT, FakeTaskServices.GATE_PORT), services.shieldSawPorts());
        assertEquals(List.of("api.anthropic.com"), services.shieldSawRelayed());
        Task recorded = store.get(t.getId()).orElseThrow();
        assertEquals(t.getContainerId(), recorded.getContainerId());
        assertEquals(t.getWiring(), recorded.getWiring());
        assertEquals(t.getId(), podman.lastSpec().getJsonObject("labels").getString(TaskManager.TASK_LABEL));
        assertTrue(podman.lastSpec().getJsonObject("env").containsKey("TEROK_GATE_URL"), "the gate's env reaches the container");
        assertTrue(podman.lastSpec().getJsonObject("env").containsKey("ANTHROPIC_BASE_URL"), "the vault's env reaches the container");
        assertEquals(t.getId(), podman.lastSpec().getJsonObject("annotations").getString("io.terok.shield"));
        assertEquals(Set.of("vault:" + t.getId(), "gate:" + t.getId(), "shield:" + t.getId(), "clearance:" + t.getId()),
                services.held());
    }

    @Test
    void removeGivesBackInTheReverseOfTheLaunch() {
        Task t = tasks.launch(request(everything()));
        log.clear();
        assertEquals(List.of(), tasks.remove(t.getId(), true).getWarningsList());
        assertEquals(FULL_UNDO, log.calls());
        assertEquals(Set.of(), services.held());
        assertEquals(List.of(), store.all());
    }

    @Test
    void vaultDownUndoesWhatItsPhaseTook() {
        log.fail("vault.mint", down("vault"));
        ServiceUnavailableException e = (ServiceUnavailableException) failAt("vault.mint",
                List.of("gate.revoke"));
        assertEquals("vault", e.service());
        assertTrue(e.getMessage().contains("cannot wire credentials for [claude]") && e.getMessage().contains("--no-vault"),
                e.getMessage());
        assertEquals(Status.Code.FAILED_PRECONDITION, e.toStatus().getStatus().getCode());
    }

    @Test
    void gateDownRevokesTheVaultTokens() {
        log.fail("gate.mint", down("gate"));
        ServiceUnavailableException e = (ServiceUnavailableException) failAt("gate.mint",
                List.of("vault.revoke"));
        assertEquals("gate", e.service());
        assertTrue(e.getMessage().contains("--no-gate"), e.getMessage());
    }

    @Test
    void shieldDownUndoesClearanceThenGateThenVault() {
        log.fail("shield.prepare", down("shield"));
        ServiceUnavailableException e = (ServiceUnavailableException) failAt("shield.prepare",
                List.of("clearance.unregister", "gate.revoke", "vault.revoke"));
        assertEquals("shield", e.service());
        assertTrue(e.getMessage().contains("refusing to launch with unfiltered egress"), e.getMessage());
    }

    @Test
    void clearanceDownUndoesShieldThenGateThenVault() {
        log.fail("clearance.register", down("clearance"));
        ServiceUnavailableException e = (ServiceUnavailableException) failAt("clearance.register",
                List.of("shield.release", "gate.revoke", "vault.revoke"));
        assertEquals("clearance", e.service());
        assertTrue(e.getMessage().contains("--no-clearance"), e.getMessage());
    }

    @Test
    void aServiceThatRefusesKeepsItsOwnStatusAndIsUndoneTheSameWay() {
        log.fail("gate.mint", () -> new ServiceUnavailableException("gate",
                "gate-service refused MintTaskToken: no project 'demo'", Status.Code.NOT_FOUND));
        ServiceUnavailableException e = (ServiceUnavailableException) failAt("gate.mint",
                List.of("vault.revoke"));
        assertEquals("gate-service refused MintTaskToken: no project 'demo'", e.getMessage(), "a refusal is passed on as it is");
        assertEquals(Status.Code.NOT_FOUND, e.toStatus().getStatus().getCode());
    }

    /**
     * The vault fails at once while the gate answers only after it has: the launch waits for it and gives back what
     * it took. A launch that gave back and returned at the first failure would leave the gate token that came after
     * its undo held for good.
     */
    @Test
    void aWiringThatFailsWhileTheOthersAreUnderWayIsUndoneOnlyAfterTheyAnswered() {
        CountDownLatch vaultFailed = new CountDownLatch(1);
        log.fail("vault.mint", () -> {
            vaultFailed.countDown();
            return down("vault").get();
        });
        Runnable afterTheVault = () -> {
            try {
                assertTrue(vaultFailed.await(10, TimeUnit.SECONDS), "the vault was asked");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        services.before("gate.mint", afterTheVault);
        ServiceUnavailableException e = (ServiceUnavailableException) failAt("vault.mint", List.of("gate.revoke"));
        assertEquals("vault", e.service());
        List<String> calls = log.calls();
        assertEquals("vault.mint", calls.get(0), "the vault failed before the others answered: " + calls);
    }

    @Test
    void podmanCreateFailingDeletesTheRecordThenReleasesTheServices() {
        log.fail("podman.create", () -> new PodmanException(500, "no space left on device"));
        RuntimeException e = failAt("podman.create",
                List.of("clearance.unregister", "shield.release", "gate.revoke", "vault.revoke"));
        assertEquals("no space left on device", e.getMessage());
    }

    @Test
    void podmanStartFailingRemovesTheContainerFirst() {
        log.fail("podman.start", () -> new PodmanException(500, "crun: executable file not found"));
        RuntimeException e = failAt("podman.start", LAUNCH_UNDO);
        assertEquals("crun: executable file not found", e.getMessage());
    }

    @Test
    void shieldHookNotRunningFailsClosedAndRemovesTheContainer() {
        services.shieldHookRuns(false);
        ServiceUnavailableException e = (ServiceUnavailableException) failAt("shield.loaded", LAUNCH_UNDO);
        assertEquals("shield", e.service());
        assertTrue(e.getMessage().startsWith("the firewall did not load when the container started"), e.getMessage());
    }

    @Test
    void aPanicDuringTheLaunchUndoesItAfterTheStart() {
        podman.onStart(panic::engage);
        ServiceException e = assertThrows(ServiceException.class, () -> tasks.launch(request(everything())));
        assertTrue(e.getMessage().startsWith("terok is in panic mode"), e.getMessage());
        assertEquals(LAUNCH_UNDO, log.after("podman.start"));
        assertEquals(Set.of(), services.held());
        assertEquals(List.of(), store.all());
        assertTrue(podman.containers().isEmpty());
    }

    @Test
    void theEngagedPanicLockRefusesALaunchBeforeAnythingIsAsked() {
        panic.engage();
        ServiceException e = assertThrows(ServiceException.class, () -> tasks.launch(request(everything())));
        assertEquals(ServiceException.Kind.PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("launching a task is refused until the operator runs `terok panic --clear`"),
                e.getMessage());
        assertEquals(List.of(), log.calls());
        assertEquals(List.of(), store.all());
    }

    @Test
    void anUndoThatFailsDoesNotStopTheOthersAndKeepsTheRecordUntilTheServiceIsBack() {
        // shield killed after it prepared the task: the launch fails when it asks shield whether the firewall loaded,
        // and shield cannot release its state then. Before, the record was deleted anyway, and that state stayed
        // held for good (nothing else knew the task).
        int[] leftBehind = {0};
        tasks.whenALaunchIsLeftBehind(() -> leftBehind[0]++);
        log.fail("shield.loaded", down("shield"));
        log.fail("shield.release", down("shield"));
        RuntimeException e = assertThrows(RuntimeException.class, () -> tasks.launch(request(everything())));
        assertTrue(e.getMessage().contains("shield-service is not running") && e.getMessage().contains("`terok services up`"),
                "the launch's own failure is reported, with the fix: " + e.getMessage());
        assertEquals(LAUNCH_UNDO, log.after("shield.loaded"));
        assertEquals(1, services.held().size(), "only the shield that would not release is left: " + services.held());
        assertTrue(services.held().iterator().next().startsWith("shield:"), services.held().toString());
        assertTrue(podman.containers().isEmpty());
        assertEquals(1, store.all().size(), "the record stays, so what is still held can be released later");
        assertTrue(store.all().get(0).getLaunching(), "marked as a launch that did not finish");
        assertEquals(1, leftBehind[0], "the reconciler is told");
        assertEquals(1, tasks.reconcileInterruptedLaunches(), "shield still down: not yet");

        log.clearFailures();
        assertEquals(0, tasks.reconcileInterruptedLaunches(), "shield back: released");
        assertEquals(Set.of(), services.held());
        assertEquals(List.of(), store.all());
    }

    @Test
    void optingOutOfTheVaultSkipsExactlyTheVault() {
        Task t = tasks.launch(request(everything(), ServiceOptOut.newBuilder().setVault(true)));
        assertPhases(List.of(Set.of("gate.mint"), Set.of("shield.prepare", "clearance.register"), Set.of("podman.create"),
                Set.of("podman.start"), Set.of("shield.loaded")), log.calls());
        assertEquals(List.of("vault"), t.getWiring().getOptedOutList());
        assertTrue(t.getWiring().getVaultTokenIdsList().isEmpty());
        assertEquals(List.of(FakeTaskServices.GATE_PORT), services.shieldSawPorts());
        assertTrue(t.getWarningsList().stream().anyMatch(w -> w.startsWith("launched WITHOUT vault-service by explicit opt-out")),
                t.getWarningsList().toString());
    }

    @Test
    void optingOutOfTheGateSkipsExactlyTheGate() {
        Task t = tasks.launch(request(everything(), ServiceOptOut.newBuilder().setGate(true)));
        assertPhases(List.of(Set.of("vault.mint"), Set.of("shield.prepare", "clearance.register"), Set.of("podman.create"),
                Set.of("podman.start"), Set.of("shield.loaded")), log.calls());
        assertEquals(List.of("gate"), t.getWiring().getOptedOutList());
        assertEquals("", t.getWiring().getGateUrl());
        assertEquals(List.of(FakeTaskServices.VAULT_PORT), services.shieldSawPorts());
    }

    @Test
    void optingOutOfShieldSkipsShieldAndClearanceWhichOnlyServesIt() {
        Task t = tasks.launch(request(everything(), ServiceOptOut.newBuilder().setShield(true)));
        assertPhases(List.of(Set.of("vault.mint", "gate.mint"), Set.of("podman.create"), Set.of("podman.start")), log.calls());
        assertEquals(List.of("shield"), t.getWiring().getOptedOutList());
        assertFalse(t.getWiring().getShieldApplied());
        assertFalse(t.getWiring().getClearanceRegistered());
        assertTrue(t.getWarningsList().stream().anyMatch(w -> w.contains("UNFILTERED")), t.getWarningsList().toString());
    }

    @Test
    void optingOutOfClearanceSkipsExactlyClearance() {
        Task t = tasks.launch(request(everything(), ServiceOptOut.newBuilder().setClearance(true)));
        assertPhases(List.of(Set.of("vault.mint", "gate.mint"), Set.of("shield.prepare"), Set.of("podman.create"),
                Set.of("podman.start"), Set.of("shield.loaded")), log.calls());
        assertEquals(List.of("clearance"), t.getWiring().getOptedOutList());
        assertTrue(t.getWiring().getShieldApplied());
        assertFalse(t.getWiring().getClearanceRegistered());
    }

    @Test
    void withoutNetworkNeitherShieldNorClearanceIsAsked() {
        Task t = tasks.launch(request(everything().setNetwork(NetworkMode.NETWORK_MODE_NONE)));
        assertPhases(List.of(Set.of("vault.mint", "gate.mint"), Set.of("podman.create"), Set.of("podman.start")), log.calls());
        assertEquals(List.of(), t.getWiring().getOptedOutList());
    }

    @Test
    void theProjectsSshAgentIsBestEffortWhenTheVaultIsDown() {
        log.fail("vault.mint", down("vault"));
        Task t = tasks.launch(request(everything().clearProviders()));
        assertPhases(FULL_LAUNCH, log.calls());
        assertFalse(t.getWiring().getVaultSshAgent());
        assertTrue(t.getWiring().getVaultTokenIdsList().isEmpty());
        assertTrue(t.getWarningsList().stream().noneMatch(w -> w.contains("SSH agent")), "a vault that is down is only logged");
        assertEquals(List.of(FakeTaskServices.GATE_PORT), services.shieldSawPorts());
    }

    @Test
    void aVaultRefusingTheSshAgentIsAWarningNotAFailure() {
        log.fail("vault.mint", () -> new ServiceUnavailableException("vault", "vault-service refused MintTaskTokens: locked",
                Status.Code.FAILED_PRECONDITION));
        Task t = tasks.launch(request(everything().clearProviders()));
        assertTrue(t.getWarningsList().contains("no SSH agent for project demo: vault-service refused MintTaskTokens: locked"),
                t.getWarningsList().toString());
    }

    @Test
    void theProjectsSshAgentIsWiredAndGivenBackLikeTokens() {
        Task t = tasks.launch(request(everything().clearProviders()));
        assertTrue(t.getWiring().getVaultSshAgent());
        log.clear();
        tasks.remove(t.getId(), true);
        assertEquals(FULL_UNDO, log.calls());
    }

    @Test
    void refusalsBeforeTheCompositionAskNoService() {
        ServiceException bad = assertThrows(ServiceException.class, () -> tasks.launch(request(everything().setName("Bad Name"))));
        assertEquals(ServiceException.Kind.INVALID, bad.kind());
        assertTrue(bad.getMessage().startsWith("run_spec.name: 'Bad Name' is not a valid name"), bad.getMessage());
        podman.imagePresent(false);
        ServiceException missing = assertThrows(ServiceException.class, () -> tasks.launch(request(everything())));
        assertEquals(ServiceException.Kind.INVALID, missing.kind());
        assertTrue(missing.getMessage().startsWith("run_spec.image: image '" + IMAGE + "' is not in podman's local storage"),
                missing.getMessage());
        assertEquals(List.of(), log.calls());
        assertEquals(List.of(), store.all());
    }

    @Test
    void aNameInUseIsRefusedBeforeAnyServiceIsAsked() {
        tasks.launch(request(everything()));
        log.clear();
        ServiceException e = assertThrows(ServiceException.class, () -> tasks.launch(request(everything())));
        assertEquals(ServiceException.Kind.EXISTS, e.kind());
        assertEquals("run_spec.name: a container named 'agent-1' already exists", e.getMessage());
        assertEquals(List.of(), log.calls());
    }
}
