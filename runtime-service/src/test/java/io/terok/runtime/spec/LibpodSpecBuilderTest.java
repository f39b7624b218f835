package io.terok.runtime.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.ResourceLimits;
import io.terok.api.v1.RunSpec;
import io.terok.runtime.podman.HostProfile;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The CPU part of every task container's podman spec: its weight, and the project's hard limit beside it. */
class LibpodSpecBuilderTest {
    static final HostProfile ROOTFUL_V1 = new HostProfile(false, 4, "4.3.1", true, "v1", true);
    static final HostProfile ROOTLESS_V1 = new HostProfile(true, 4, "4.3.1", true, "v1", false);
    static final HostProfile ROOTLESS_V2_CPU_DELEGATED = new HostProfile(true, 5, "5.4.2", true, "v2", true);
    static final HostProfile V2_WITHOUT_CONTROLLERS = new HostProfile(false, 5, "5.4.2", true, "v2", false);

    @Test
    void everyTaskGetsTheLowerCpuWeightWherePodmanCanSetIt() {
        for (HostProfile host : List.of(ROOTFUL_V1, ROOTLESS_V2_CPU_DELEGATED)) {
            JsonObject cpu = spec(RunSpec.newBuilder(), host).getJsonObject("resource_limits").getJsonObject("cpu");
            assertEquals(Map.of("shares", LibpodSpecBuilder.TASK_CPU_SHARES), cpu.getMap(), host.toString());
        }
        assertEquals(256, LibpodSpecBuilder.TASK_CPU_SHARES, "a quarter of podman's default weight (1024)");
    }

    /** Rootless on cgroups v1 podman would ignore it and warn on every task; without the controller it refuses. */
    @Test
    void noWeightWherePodmanHasNoCpuController() {
        for (HostProfile host : List.of(ROOTLESS_V1, V2_WITHOUT_CONTROLLERS)) {
            assertNull(spec(RunSpec.newBuilder(), host).getJsonObject("resource_limits"), host.toString());
        }
    }

    @Test
    void aProjectsCpuLimitIsAQuotaBesideTheWeight() {
        RunSpec.Builder spec = RunSpec.newBuilder().setLimits(ResourceLimits.newBuilder().setCpus(1.5));
        assertEquals(Map.of("quota", 150_000L, "period", 100_000, "shares", 256L),
                spec(spec, ROOTFUL_V1).getJsonObject("resource_limits").getJsonObject("cpu").getMap());
        JsonObject rootless = spec(spec, ROOTLESS_V1).getJsonObject("resource_limits").getJsonObject("cpu");
        assertEquals(Map.of("quota", 150_000L, "period", 100_000), rootless.getMap());
        assertFalse(rootless.containsKey("shares"));
    }

    static JsonObject spec(RunSpec.Builder spec, HostProfile host) {
        ContainerPlan plan = new RunSpecValidator(List.of(), Set.of(), 4)
                .validate(spec.setImage("localhost/x:latest").setNetwork(NetworkMode.NETWORK_MODE_NONE).build());
        return LibpodSpecBuilder.build(plan, "t", Map.of(), host, Path.of("/nonexistent/seccomp.json"));
    }
}
