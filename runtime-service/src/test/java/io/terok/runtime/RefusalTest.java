package io.terok.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.ResourceLimits;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.ServiceOptOut;
import io.terok.api.v1.Task;
import io.terok.api.v1.VolumeMount;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every spec that would weaken the sandbox is refused by name, and leaves nothing behind. */
@QuarkusTest
class RefusalTest extends RuntimeServiceTest {
    static Stream<Arguments> badSpecs() {
        String runtimeDir = ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class);
        return Stream.of(
                bad("empty image", s -> s.setImage(""), "run_spec.image: must not be empty"),
                bad("missing image", s -> s.setImage("localhost/does-not-exist:1"), "run_spec.image"),
                bad("privileged", s -> s.addExtraArgs("--privileged"), "run_spec.extra_args[0]"),
                bad("security-opt", s -> s.addAllExtraArgs(List.of("--security-opt", "seccomp=unconfined")), "run_spec.extra_args[0]"),
                bad("host network", s -> s.addExtraArgs("--network=host"), "host namespaces"),
                bad("host pid", s -> s.addExtraArgs("--pid=host"), "run_spec.extra_args[0]"),
                bad("host ipc", s -> s.addExtraArgs("--ipc=host"), "run_spec.extra_args[0]"),
                bad("unknown flag", s -> s.addExtraArgs("--volumes-from=x"), "not an allowed podman flag"),
                bad("non-gpu device", s -> s.addAllExtraArgs(List.of("--device", "/dev/sda")), "is not a GPU"),
                bad("non-gpu gpu", s -> s.addGpus("/dev/mem"), "run_spec.gpus[0]"),
                bad("runtime dir mount", s -> s.addVolumes(vol(runtimeDir, "/x")), "run_spec.volumes[0].host_path"),
                bad("parent of runtime dir", s -> s.addVolumes(vol(java.nio.file.Path.of(runtimeDir).getParent().toString(), "/x")),
                        "run_spec.volumes[0].host_path"),
                bad("root fs mount", s -> s.addVolumes(vol("/", "/host")), "run_spec.volumes[0].host_path"),
                bad("device mount", s -> s.addVolumes(vol("/dev", "/d")), "devices other than GPUs"),
                bad("traversal in host path", s -> s.addVolumes(vol("/tmp/../etc", "/x")), "contains '..'"),
                bad("traversal in container path", s -> s.addVolumes(vol("/usr", "/home/../../etc")), "run_spec.volumes[0].container_path"),
                bad("relative host path", s -> s.addVolumes(vol("tmp", "/x")), "must be an absolute path"),
                bad("traversal in name", s -> s.setName("../evil"), "run_spec.name"),
                bad("uppercase name", s -> s.setName("Bad Name"), "run_spec.name"),
                bad("unknown capability", s -> s.addCapabilities("SYS_ADMIN"), "run_spec.capabilities[0]"),
                bad("net admin", s -> s.addCapabilities("CAP_NET_ADMIN"), "cannot be granted"),
                bad("unknown annotation", s -> s.putAnnotations("io.terok.shield.enabled", "false"), "not an allowed annotation"),
                bad("reserved label", s -> s.putLabels("io.terok.task", "forged"), "reserved"),
                bad("bad env name", s -> s.putEnv("A-B", "1"), "run_spec.env"),
                bad("tiny memory", s -> s.setLimits(ResourceLimits.newBuilder().setMemoryBytes(1000)), "run_spec.limits.memory_bytes"),
                bad("too many cpus", s -> s.setLimits(ResourceLimits.newBuilder().setCpus(10_000)), "run_spec.limits.cpus"),
                bad("relative workdir", s -> s.setWorkdir("work"), "run_spec.workdir"),
                bad("bad hostname", s -> s.setHostname("a_b"), "run_spec.hostname"));
    }

    private static Arguments bad(String what, Consumer<RunSpec.Builder> change, String message) {
        return Arguments.of(what, change, message);
    }

    private static VolumeMount vol(String host, String ctr) {
        return VolumeMount.newBuilder().setHostPath(host).setContainerPath(ctr).build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSpecs")
    void refusedByNameLeavingNothingBehind(String what, Consumer<RunSpec.Builder> change, String message) {
        String mark = RuntimeApi.newMark();
        int tasksBefore = allTasks();
        RunSpec.Builder spec = RuntimeApi.offline("true").putLabels(RuntimeApi.TEST_MARK, mark);
        change.accept(spec);
        StatusRuntimeException e = RuntimeApi.expectError(() -> api.launch(spec));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), what + ": " + e.getStatus());
        assertTrue(e.getStatus().getDescription().contains(message), what + ": " + e.getStatus().getDescription());
        assertEquals(List.of(), RuntimeApi.podmanTaskContainers(mark), "no container left");
        assertEquals(tasksBefore, allTasks(), "no task record left");
    }

    /** The checks above see only marked containers: a launch that is not refused does leave one they find. */
    @Test
    void theMarkFindsTheContainerOfALaunch() {
        String mark = RuntimeApi.newMark();
        Task t = api.launch(RuntimeApi.offline("sleep", "60").putLabels(RuntimeApi.TEST_MARK, mark));
        try {
            assertEquals(1, RuntimeApi.podmanTaskContainers(mark).size(), "the marked launch's container");
            assertTrue(t.getContainerId().startsWith(RuntimeApi.podmanTaskContainers(mark).get(0)));
        } finally {
            api.stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).setForce(true).build());
        }
        assertEquals(List.of(), RuntimeApi.podmanTaskContainers(mark), "removed");
    }

    @Test
    void symlinksAreJudgedByWhatTheyPointTo() throws Exception {
        String runtimeDir = ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("terok-symlink-test");
        java.nio.file.Path toRuntime = java.nio.file.Files.createSymbolicLink(dir.resolve("innocent"), java.nio.file.Path.of(runtimeDir));
        java.nio.file.Path dangling = java.nio.file.Files.createSymbolicLink(dir.resolve("later"), dir.resolve("does-not-exist-yet"));
        try {
            StatusRuntimeException e = RuntimeApi.expectError(() -> api.launch(RuntimeApi.offline("true").addVolumes(vol(toRuntime.toString(), "/x"))));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("would expose"), e.getStatus().getDescription());
            e = RuntimeApi.expectError(() -> api.launch(RuntimeApi.offline("true").addVolumes(vol(dangling.toString(), "/x"))));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("does not exist"), e.getStatus().getDescription());
        } finally {
            java.nio.file.Files.delete(toRuntime);
            java.nio.file.Files.delete(dangling);
            java.nio.file.Files.delete(dir);
        }
    }

    @Test
    void filteredNetworkWithoutShieldIsRefused() {
        String mark = RuntimeApi.newMark();
        int tasksBefore = allTasks();
        RunSpec.Builder spec = RuntimeApi.offline("true").setNetwork(NetworkMode.NETWORK_MODE_FILTERED)
                .putLabels(RuntimeApi.TEST_MARK, mark);
        StatusRuntimeException e = RuntimeApi.expectError(() -> api.launch(spec));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("shield-service"), e.getStatus().getDescription());
        assertTrue(e.getStatus().getDescription().contains("unfiltered egress"), e.getStatus().getDescription());
        assertEquals(List.of(), RuntimeApi.podmanTaskContainers(mark));
        assertEquals(tasksBefore, allTasks());
    }

    @Test
    void providersWithoutVaultAreRefused() {
        int tasksBefore = allTasks();
        StatusRuntimeException e = RuntimeApi.expectError(() -> api.launch(RuntimeApi.offline("true").addProviders("anthropic")));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("vault-service"), e.getStatus().getDescription());
        assertEquals(tasksBefore, allTasks());
    }

    @Test
    void aProjectTaskWithoutProvidersLaunchesWithoutAVault() {
        // The vault is only asked for the project's SSH agent: its absence gives no agent (no access), not a refusal.
        Task t = api.stub().launch(LaunchRequest.newBuilder().setRunSpec(RuntimeApi.offline("true").setProject("no-vault-proj"))
                .setOptOut(ServiceOptOut.newBuilder().setGate(true)).build());
        try {
            assertFalse(t.getWiring().getVaultSshAgent());
            assertTrue(t.getWiring().getVaultTokenIdsList().isEmpty());
            assertTrue(t.getWarningsList().stream().noneMatch(w -> w.contains("SSH agent")), t.getWarningsList().toString());
        } finally {
            api.stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).setForce(true).build());
        }
    }

    @Test
    void explicitOptOutLaunchesAndIsRecorded() {
        Task t = api.stub().launch(LaunchRequest.newBuilder()
                .setRunSpec(RuntimeApi.offline("true").setNetwork(NetworkMode.NETWORK_MODE_FILTERED))
                .setOptOut(ServiceOptOut.newBuilder().setShield(true)).build());
        try {
            assertEquals(List.of("shield"), t.getWiring().getOptedOutList());
            assertTrue(t.getWarningsList().stream().anyMatch(w -> w.contains("UNFILTERED")), t.getWarningsList().toString());
        } finally {
            api.stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).setForce(true).build());
        }
    }

    @Test
    void duplicateNameIsRefused() {
        Task t = api.launch(RuntimeApi.offline("sleep", "30").setName("dup-name"));
        try {
            StatusRuntimeException e = RuntimeApi.expectError(() -> api.launch(RuntimeApi.offline("true").setName("dup-name")));
            assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("run_spec.name"));
        } finally {
            api.stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).setForce(true).build());
        }
    }

    private static int allTasks() {
        return api.stub().list(ListTasksRequest.newBuilder().setAll(true).build()).getTasksCount();
    }
}
