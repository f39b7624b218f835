package io.terok.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.quarkus.test.junit.QuarkusTest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.ResourceLimits;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.VolumeMount;
import io.terok.common.ServiceName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * The attack: mount the service sockets (or a directory above them) into a task and look for them. Each such
     * launch must be refused; were one to go through, the search inside the task would find the socket. The
     * positive control proves the search finds a Unix socket that is mounted.
     */
    @Test
    void serviceSocketsAndPodmanSocketCannotBeMountedIntoATask() throws Exception {
        Path runtimeDir = Path.of(org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class));
        String probe = "find /mnt/probe -type s 2>/dev/null; echo done";

        Path control = Files.createTempDirectory("terok-socket-control");
        Files.setPosixFilePermissions(control, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(java.net.UnixDomainSocketAddress.of(control.resolve("control.sock")));
            RuntimeApi.Result r = api.runToEnd(RuntimeApi.offline("sh", "-c", probe).addVolumes(volume(control, true)));
            assertTrue(r.output().contains("/mnt/probe/control.sock"), "the probe sees a mounted socket: " + r.output());
        } finally {
            Files.deleteIfExists(control.resolve("control.sock"));
            Files.delete(control);
        }

        List<Path> targets = new ArrayList<>(List.of(runtimeDir, runtimeDir.getParent()));
        for (ServiceName s : ServiceName.values()) {
            if (Files.exists(s.socket(runtimeDir))) {
                targets.add(s.socket(runtimeDir));
            }
        }
        for (Path p : List.of(runtimeDir.resolve("podman.sock"), Path.of("/run/podman/podman.sock"))) {
            if (Files.exists(p)) {
                targets.add(p);
            }
        }
        assertTrue(targets.contains(ServiceName.RUNTIME.socket(runtimeDir)), "the runtime's own socket exists: " + targets);
        for (Path target : targets) {
            for (boolean readOnly : new boolean[] {true, false}) {
                String seen;
                try {
                    seen = api.runToEnd(RuntimeApi.offline("sh", "-c", probe).addVolumes(volume(target, readOnly))).output();
                } catch (StatusRuntimeException e) {
                    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), target + ": " + e.getStatus());
                    continue;
                }
                assertEquals("done", seen.trim(), "mounting " + target + " must be refused, the task saw: " + seen);
                fail("mounting " + target + " was not refused");
            }
        }
    }

    private static VolumeMount volume(Path host, boolean readOnly) {
        return VolumeMount.newBuilder().setHostPath(host.toString()).setContainerPath("/mnt/probe").setReadOnly(readOnly).build();
    }

    /**
     * The attacks of issue 15 item 4, from inside a task: read the user's kernel keyring (where the vault keeps
     * its passphrase), make a user namespace (unshare -U, raw clone with CLONE_NEWUSER) and use clone3, whose
     * flags seccomp cannot see. The filter is terok's own (Seccomp: 2, the named calls EPERM, clone with a
     * namespace flag and clone3 ENOSYS) and
     * an honest task's basics (sh, fork, git init/commit) still work.
     */
    @Test
    void terokSeccompFilterRefusesKeyringNamespacesAndClone3() {
        RuntimeApi.Result r = api.runToEnd(agentTask(ATTACKS));
        assertEquals(0, r.exitCode(), r.output());
        String out = r.output();
        assertTrue(out.contains("Seccomp:\t2"), "a seccomp filter is installed: " + out);
        assertTrue(out.contains("UNSHARE-REFUSED") && !out.contains("UNSHARE-OK"), "unshare -U fails: " + out);
        assertTrue(out.contains("keyctl=1\n"), "keyctl fails with EPERM: " + out);
        assertTrue(out.contains("add_key=1\n"), "add_key fails with EPERM: " + out);
        assertTrue(out.contains("request_key=1\n"), "request_key fails with EPERM: " + out);
        assertTrue(out.contains("clone_newuser=38\n"), "clone(CLONE_NEWUSER) fails (the profile's default, ENOSYS): " + out);
        assertTrue(out.contains("clone3=38\n"), "clone3 answers ENOSYS so libc falls back to clone: " + out);
        assertTrue(out.contains("userfaultfd=1\n"), "userfaultfd fails with EPERM: " + out);
        assertTrue(out.contains("fork=ok\n"), "a plain fork (clone without namespace flags) works: " + out);
        assertTrue(out.contains("GIT-OK"), "git init and commit work: " + out);
    }

    /** A run spec can add back a removed syscall it names, and only that one; unknown names are refused. */
    @Test
    void seccompAllowAddsBackOnlyWhatItNames() {
        RuntimeApi.Result r = api.runToEnd(agentTask(ATTACKS).addSeccompAllow("unshare").addSeccompAllow("clone"));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("UNSHARE-OK"), "unshare added back: " + r.output());
        assertTrue(r.output().contains("keyctl=1\n"), "keyctl still refused: " + r.output());
        StatusRuntimeException e = RuntimeApi.expectError(() -> api.launch(agentTask("true").addSeccompAllow("ptrace")));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("run_spec.seccomp_allow[0]"), e.getStatus().getDescription());
    }

    /** The attacks, as a shell script for the agent image (test resource seccomp-attacks.sh). */
    static final String ATTACKS = attacks();

    static String attacks() {
        try (var in = HardeningTest.class.getResourceAsStream("/seccomp-attacks.sh")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static RunSpec.Builder agentTask(String script) {
        return RunSpec.newBuilder().setImage(AGENT_IMAGE).setNetwork(NetworkMode.NETWORK_MODE_NONE).addAllCommand(List.of("sh", "-c", script));
    }

    static final String AGENT_IMAGE = "localhost/terok-agent:latest";

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
