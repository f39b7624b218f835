package io.terok.runtime.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.terok.runtime.podman.HostProfile;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The task's parent cgroup in podman's spec: only where the runtime made terok's weighted parent. */
class LibpodSpecBuilderCgroupTest {
    static final HostProfile ROOTFUL = new HostProfile(false, 4, "4.3.1", true, "v1", "cgroupfs", true);
    static final ContainerPlan PLAN = new ContainerPlan("t", "img", List.of("true"), Map.of(), "", "", List.of(), 0, 0, 0,
            List.of(), List.of(), Map.of(), false, Map.of(), false, false, 0, List.of(), Map.of(), List.of(), Map.of(), List.of());

    @Test
    void theWeightedParentTakesTheTaskAndLeavesConmonInPodmansCgroup() {
        JsonObject s = LibpodSpecBuilder.build(PLAN, "t", Map.of(), ROOTFUL, Path.of("/x.json"), Optional.of("/terok-tasks"));
        assertEquals("/terok-tasks", s.getString("cgroup_parent"));
        assertEquals("no-conmon", s.getString("cgroups_mode"));
    }

    @Test
    void withoutItTheSpecIsAsBefore() {
        JsonObject s = LibpodSpecBuilder.build(PLAN, "t", Map.of(), ROOTFUL, Path.of("/x.json"), Optional.empty());
        assertFalse(s.containsKey("cgroup_parent"));
        assertFalse(s.containsKey("cgroups_mode"));
        assertEquals(LibpodSpecBuilder.build(PLAN, "t", Map.of(), ROOTFUL, Path.of("/x.json")), s);
    }
}
