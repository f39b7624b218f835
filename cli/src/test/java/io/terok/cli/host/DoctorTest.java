package io.terok.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.cli.Cli;
import io.terok.cli.UdsServer;
import io.terok.common.ServiceName;
import io.terok.common.TasksCgroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DoctorTest {
    /** {@code  <label> ........ ok|WARN|ERROR (<detail>; <what to do>)} */
    static final Pattern LINE = Pattern.compile("  \\S.*? \\.{3,} (ok|WARN|ERROR)( \\(.+\\))?");

    @TempDir
    Path tmp;

    private Map<String, String> env(Path runtime) {
        return Map.of("TEROK_RUNTIME_DIR", runtime.toString(), "TEROK_HOME", tmp.toString(),
                "TEROK_STATE_DIR", tmp.resolve("state").toString(), "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    private Path privateDir(String name) throws IOException {
        return Files.createDirectory(tmp.resolve(name),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    @Test
    void showsWhereEachVaultValueComesFrom() throws IOException {
        Path runtime = privateDir("run");
        Path config = Files.createDirectory(tmp.resolve("conf"));
        Files.writeString(config.resolve("config.yaml"), "terok:\n  vault:\n    systemd-creds-file: /srv/vault.cred\n"
                + "  runtime:\n    allowed-annotations: io.terok.agent\n");
        Map<String, String> env = new java.util.HashMap<>(env(runtime));
        env.put("TEROK_CONFIG_DIR", config.toString());
        env.put("TEROK_VAULT_SECRET_SERVICE", "false");
        List<String> lines = Cli.run(env, "doctor").out().lines().filter(l -> l.startsWith("  vault configuration ")).toList();
        assertEquals(3, lines.size(), lines::toString);
        assertTrue(lines.get(0).endsWith(" ok (TEROK_VAULT_SECRET_SERVICE = false from the environment (above config.yaml))"), lines.get(0));
        assertTrue(lines.get(1).endsWith(" ok (terok.vault.systemd-creds-file = /srv/vault.cred from " + config.resolve("config.yaml") + ")"),
                lines.get(1));
        assertTrue(lines.get(2).endsWith(" ok (every other terok.vault.* value is the vault's built-in default)"), lines.get(2));

        env.remove("TEROK_VAULT_SECRET_SERVICE");
        Files.delete(config.resolve("config.yaml"));
        lines = Cli.run(env, "doctor").out().lines().filter(l -> l.startsWith("  vault configuration ")).toList();
        assertEquals(List.of("every terok.vault.* value is the vault's built-in default (no " + config.resolve("config.yaml") + ")"),
                lines.stream().map(l -> l.substring(l.indexOf(" ok (") + 5, l.length() - 1)).toList());
    }

    @Test
    void withNoSocketsEveryServiceIsAnErrorAndTheExitCodeIs2() throws IOException {
        Path runtime = privateDir("run");
        Cli r = Cli.run(env(runtime), "doctor");
        assertEquals(2, r.exit(), r::toString);
        List<String> lines = r.out().lines().toList();
        for (String line : lines) {
            assertTrue(LINE.matcher(line).matches(), "format: " + line);
        }
        for (ServiceName s : ServiceName.values()) {
            String expected = "  " + s.id() + " service ";
            String line = lines.stream().filter(l -> l.startsWith(expected)).findFirst().orElseThrow(() ->
                    new AssertionError("no line for " + s.id() + " in\n" + r.out()));
            assertTrue(line.endsWith(" ERROR (no socket at " + runtime.resolve(s.id() + ".sock")
                    + "; run `terok services up`)"), line);
        }
        String dirLine = lines.stream().filter(l -> l.startsWith("  runtime directory ")).findFirst().orElseThrow();
        assertTrue(dirLine.endsWith(" ok (" + runtime + " (0700))"), dirLine);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("  podman ")), r::toString);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("  catatonit ")), r::toString);
        // every label's dots end in the same column
        for (String line : lines) {
            assertEquals(' ', line.charAt(Check.LABEL_COLUMN + 2), line);
        }
    }

    @Test
    void aHealthyServiceIsOkAndAnOpenRuntimeDirectoryIsAnError() throws Exception {
        Path runtime = Files.createDirectory(tmp.resolve("open"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try (UdsServer ignored = new UdsServer(runtime.resolve("gate.sock"))) {
            Cli r = Cli.run(env(runtime), "doctor");
            assertEquals(2, r.exit(), r::toString);
            assertTrue(r.out().contains("  gate service " + ".".repeat(Check.LABEL_COLUMN - "gate service".length() - 1)
                    + " ok (serving at " + runtime.resolve("gate.sock") + ")"), r::toString);
            assertTrue(r.out().contains(" ERROR (" + runtime + " is rwxr-xr-x; other users could reach the service "
                    + "sockets; chmod 700 " + runtime + ")"), r::toString);
        }
    }

    @Test
    void theTasksCpuWeightLineIsWhatTheRuntimeRecorded() throws IOException {
        Path runtime = privateDir("cg");
        assertEquals("ok (decided at the runtime's next launch of a task)", cgroupLine(runtime));
        Files.writeString(runtime.resolve(TasksCgroup.STATUS_FILE), TasksCgroup.APPLIED + "cpu.shares 128 (/sys/fs/cgroup/cpu/terok-tasks)\n");
        assertEquals("ok (applied: cpu.shares 128 (/sys/fs/cgroup/cpu/terok-tasks))", cgroupLine(runtime));
        Files.writeString(runtime.resolve(TasksCgroup.STATUS_FILE), TasksCgroup.NOT_APPLIED + "rootless podman\n");
        assertEquals("ok (not applied: rootless podman)", cgroupLine(runtime), "a host that does not allow it launches as before");
        Files.writeString(runtime.resolve(TasksCgroup.STATUS_FILE), TasksCgroup.FAILED + "no cpu.shares in /x\n");
        assertTrue(cgroupLine(runtime).startsWith("WARN (" + TasksCgroup.FAILED + "no cpu.shares in /x; fix that"),
                cgroupLine(runtime));
    }

    private String cgroupLine(Path runtime) {
        String line = Cli.run(env(runtime), "doctor").out().lines().filter(l -> l.startsWith("  tasks' CPU weight ")).findFirst()
                .orElseThrow();
        assertTrue(LINE.matcher(line).matches(), line);
        return line.substring(line.lastIndexOf("... ") + 4);
    }

    @Test
    void missingRuntimeDirectoryIsAWarning() {
        Cli r = Cli.run(env(tmp.resolve("absent")), "doctor");
        assertTrue(r.out().contains(" WARN (" + tmp.resolve("absent") + " does not exist; `terok services up` creates it)"),
                r::toString);
    }

    @Test
    void checkLinesWithAndWithoutDetails() {
        assertEquals("  podman " + ".".repeat(29) + " ok (podman 4.3.1)", Check.ok("podman", "podman 4.3.1").line());
        assertEquals("  x " + ".".repeat(34) + " WARN (why; fix it)", Check.warn("x", "why", "fix it").line());
        assertEquals("  x " + ".".repeat(34) + " ERROR", new Check("x", Check.Severity.ERROR, null, null).line());
    }
}
