package io.terok.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.ResourceLimits;
import org.junit.jupiter.api.Test;

/** What the agent sees from inside a launched container. */
@QuarkusTest
class HardeningTest extends RuntimeServiceTest {
    @Test
    void taskRunsAsUid1000WithoutCapabilitiesOrNewPrivileges() {
        RuntimeApi.Result r = api.runToEnd(RuntimeApi.offline("sh", "-c",
                "id -u; grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status; cat /proc/1/cmdline | tr '\\0' ' '"));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().startsWith("1000\n"), r.output());
        assertTrue(r.output().contains("CapEff:\t0000000000000000"), r.output());
        assertTrue(r.output().contains("CapPrm:\t0000000000000000"), r.output());
        assertTrue(r.output().contains("CapBnd:\t0000000000000000"), "all capabilities dropped from the bounding set: " + r.output());
        assertTrue(r.output().contains("NoNewPrivs:\t1"), r.output());
        assertTrue(r.output().contains("/run/podman-init -- sh"), "podman's init (catatonit) is PID 1: " + r.output());
    }

    @Test
    void readOnlyRootRefusesWritesButHomeAndTmpAreWritable() {
        RuntimeApi.Result r = api.runToEnd(RuntimeApi.offline("sh", "-c",
                "touch /etc/x 2>/dev/null && echo ROOT-WRITABLE; touch $HOME/ok && echo HOME-OK; touch /tmp/ok && echo TMP-OK")
                .setReadOnlyRoot(true));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(!r.output().contains("ROOT-WRITABLE"), r.output());
        assertTrue(r.output().contains("HOME-OK"), r.output());
        assertTrue(r.output().contains("TMP-OK"), r.output());
    }

    @Test
    void serviceSocketsAndPodmanSocketAreNotVisible() {
        String runtimeDir = org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class);
        RuntimeApi.Result r = api.runToEnd(RuntimeApi.offline("sh", "-c",
                "for p in " + runtimeDir + " /run/terok /run/podman /var/run/podman/podman.sock /run/user; do "
                        + "[ -e $p ] && echo VISIBLE:$p; done; find / -xdev -name '*.sock' 2>/dev/null; echo done"));
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("done", r.output().trim(), "no terok or podman socket inside the container: " + r.output());
    }

    @Test
    void limitsAreAppliedWhereTheHostEnforcesThem() {
        RuntimeApi.Result r = api.runToEnd(RuntimeApi.offline("sh", "-c",
                "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max 2>/dev/null; true")
                .setLimits(ResourceLimits.newBuilder().setMemoryBytes(64L * 1024 * 1024).setPids(64)));
        assertEquals(0, r.exitCode(), r.output());
        // Rootful podman enforces limits on cgroups v1 and v2; rootless on v1 ignores them (podman warns, we record it).
        boolean rootless = !"root".equals(System.getProperty("user.name"));
        if (rootless) {
            assertTrue(r.task().getWarningsList().stream().anyMatch(w -> w.toLowerCase().contains("limit"))
                    || r.output().contains("67108864"), "either enforced or warned: " + r.output() + r.task().getWarningsList());
        } else {
            assertTrue(r.output().contains("67108864"), "memory limit 64 MiB: " + r.output());
            assertTrue(r.output().contains("64\n") || r.output().endsWith("64"), "pids limit 64: " + r.output());
        }
    }
}
