package io.terok.cli.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.Relabel;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.VolumeMount;
import io.terok.cli.Cli;
import io.terok.cli.TerokCommand;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RunSpecMappingTest {
    @TempDir
    Path cwd;

    private static final Map<String, String> ENV = Map.of("FROM_HOST", "host-value");

    /** Parses like the real CLI does and maps the result to the request that would be sent. */
    private LaunchRequest request(String... runArgs) {
        Context ctx = new Context(System.out, System.err, ENV);
        CommandLine cl = TerokCommand.commandLine(ctx);
        String[] args = new String[runArgs.length + 1];
        args[0] = "run";
        System.arraycopy(runArgs, 0, args, 1, runArgs.length);
        CommandLine.ParseResult parsed = cl.parseArgs(args);
        RunCommand run = (RunCommand) parsed.subcommand().commandSpec().userObject();
        return run.toRequest(ENV, cwd);
    }

    private String error(String... runArgs) {
        return assertThrows(CliException.class, () -> request(runArgs)).getMessage();
    }

    @Test
    void rmWithoutATerminalLeavesTheRemovalToRuntimeSoTheCommandReturnsWithTheExitCode() {
        assertTrue(request("--rm", "img:1", "true").getAutoRemove(), "runtime removes it once its process has ended");
        assertFalse(request("img:1", "true").getAutoRemove());
        assertTrue(request("--rm", "-t", "img:1", "sh").getAutoRemove(), "-t: runtime removes it after the session too");
        assertFalse(request("img:1", "true", "--rm").getAutoRemove(), "--rm after the image is the container's");
    }

    @Test
    void commandAfterTheImageIsPassedVerbatimIncludingFlags() {
        RunSpec spec = request("--name", "t1", "-e", "A=1", "img:1", "sh", "-c", "echo hi", "--name", "x", "-e", "B=2",
                "-d", "--rm", "--", "@notafile").getRunSpec();
        assertEquals("img:1", spec.getImage());
        assertEquals(List.of("sh", "-c", "echo hi", "--name", "x", "-e", "B=2", "-d", "--rm", "--", "@notafile"),
                spec.getCommandList());
        assertEquals("t1", spec.getName());
        assertEquals(Map.of("A", "1"), spec.getEnvMap());
    }

    @Test
    void imageAloneMeansTheImageDefaultCommand() {
        RunSpec spec = request("busybox").getRunSpec();
        assertEquals("busybox", spec.getImage());
        assertTrue(spec.getCommandList().isEmpty());
        assertEquals(NetworkMode.NETWORK_MODE_FILTERED, spec.getNetwork());
        assertFalse(spec.hasLimits());
    }

    @Test
    void volumesWithAccessAndRelabelOptions() throws IOException {
        Files.createDirectory(cwd.resolve("src"));
        RunSpec spec = request("-v", "/tmp:/data:ro,Z", "--volume", "src:/work", "-v", cwd + ":/c:z", "-v",
                "/tmp:/rw:rw", "img").getRunSpec();
        assertEquals(VolumeMount.newBuilder().setHostPath("/tmp").setContainerPath("/data").setReadOnly(true)
                .setRelabel(Relabel.RELABEL_PRIVATE).build(), spec.getVolumes(0));
        assertEquals(VolumeMount.newBuilder().setHostPath(cwd.resolve("src").toString()).setContainerPath("/work")
                .build(), spec.getVolumes(1));
        assertEquals(Relabel.RELABEL_SHARED, spec.getVolumes(2).getRelabel());
        assertFalse(spec.getVolumes(2).getReadOnly());
        assertFalse(spec.getVolumes(3).getReadOnly());
    }

    @Test
    void badVolumesAreRefusedNamingTheOption() {
        assertEquals("invalid value for --volume: '/tmp:data' (container path must be absolute)", error("-v", "/tmp:data", "img"));
        assertTrue(error("-v", "/does/not/exist:/x", "img").contains("host path /does/not/exist does not exist"));
        assertTrue(error("-v", "/tmp", "img").startsWith("invalid value for --volume: '/tmp' (expected HOST:CONTAINER"));
        assertTrue(error("-v", "/tmp:/x:ro,rw", "img").contains("give ro or rw once"));
        assertTrue(error("-v", "/tmp:/x:z,Z", "img").contains("give z or Z once"));
        assertTrue(error("-v", "/tmp:/x:exec", "img").contains("unknown mount option 'exec'"));
        assertTrue(error("-v", ":/x", "img").contains("host path is empty"));
    }

    @Test
    void envPairsAndBareNamesFromTheCallersEnvironment() {
        RunSpec spec = request("-e", "A=1", "-e", "B=", "-e", "C=x=y", "-e", "FROM_HOST", "-e", "A=2", "img").getRunSpec();
        assertEquals(Map.of("A", "2", "B", "", "C", "x=y", "FROM_HOST", "host-value"), spec.getEnvMap());
        assertEquals("invalid value for --env: 'NOT_SET' (NOT_SET is not set here; write NOT_SET=VALUE)",
                error("-e", "NOT_SET", "img"));
        assertTrue(error("-e", "=v", "img").contains("the name before '=' is empty"));
    }

    @Test
    void memoryUnits() {
        assertEquals(512L << 20, limitBytes("512m"));
        assertEquals(2L << 30, limitBytes("2g"));
        assertEquals(2L << 30, limitBytes("2G"));
        assertEquals(3L << 29, limitBytes("1.5g"));
        assertEquals(64L << 20, limitBytes("64MiB"));
        assertEquals(64L << 20, limitBytes("64mb"));
        assertEquals(4096, limitBytes("4k"));
        assertEquals(1000, limitBytes("1000"));
        assertEquals(1000, limitBytes("1000b"));
        assertEquals(1L << 40, limitBytes("1t"));
    }

    private long limitBytes(String memory) {
        return request("--memory", memory, "img").getRunSpec().getLimits().getMemoryBytes();
    }

    @Test
    void badMemoryNamesTheOptionAndTheValue() {
        assertEquals("invalid value for --memory: '12x' (expected a size such as 512m or 2g; units b, k, m, g, t)",
                error("--memory", "12x", "img"));
        assertTrue(error("-m", "0", "img").startsWith("invalid value for --memory: '0' (must be at least 1 byte"));
        assertTrue(error("-m", "-5m", "img").startsWith("invalid value for --memory: '-5m'"));
        assertTrue(error("-m", "99999999999t", "img").contains("too large"));
    }

    @Test
    void cpuAndPidLimits() {
        RunSpec spec = request("--cpus", "1.5", "--pids-limit", "256", "img").getRunSpec();
        assertEquals(1.5, spec.getLimits().getCpus());
        assertEquals(256, spec.getLimits().getPids());
        assertEquals(0, spec.getLimits().getMemoryBytes());
        assertTrue(error("--cpus", "lots", "img").startsWith("invalid value for --cpus: 'lots'"));
        assertTrue(error("--cpus", "0", "img").startsWith("invalid value for --cpus: '0'"));
        assertTrue(error("--pids-limit", "-1", "img").startsWith("invalid value for --pids-limit: '-1'"));
    }

    @Test
    void everyOtherOptionLandsInTheSpec() {
        LaunchRequest r = request("--workdir", "/w", "--hostname", "h", "--gpus", "all", "--gpus", "vendor.com/dev=0",
                "--cap-add", "net_bind_service", "--cap-add", "CAP_NET_RAW", "--annotation", "a.b=c", "--label", "k=v",
                "-l", "empty=", "--read-only", "--network", "none", "--project", "p1", "--provider", "anthropic",
                "--provider", "github", "--profile", "dev", "--profile", "pypi", "-t", "img");
        RunSpec spec = r.getRunSpec();
        assertEquals("/w", spec.getWorkdir());
        assertEquals("h", spec.getHostname());
        assertEquals(List.of("nvidia.com/gpu=all", "vendor.com/dev=0"), spec.getGpusList());
        assertEquals(List.of("NET_BIND_SERVICE", "CAP_NET_RAW"), spec.getCapabilitiesList());
        assertEquals(Map.of("a.b", "c"), spec.getAnnotationsMap());
        assertEquals(Map.of("k", "v", "empty", ""), spec.getLabelsMap());
        assertTrue(spec.getReadOnlyRoot());
        assertEquals(NetworkMode.NETWORK_MODE_NONE, spec.getNetwork());
        assertEquals("p1", spec.getProject());
        assertEquals(List.of("anthropic", "github"), spec.getProvidersList());
        assertEquals(List.of("dev", "pypi"), spec.getShieldProfilesList());
        assertTrue(spec.getTty());
        assertFalse(r.getOptOut().getShield() || r.getOptOut().getVault() || r.getOptOut().getGate()
                || r.getOptOut().getClearance());
    }

    @Test
    void badEnumsAndNames() {
        assertEquals("invalid value for --network: 'host' (expected filtered or none)", error("--network", "host", "img"));
        assertTrue(error("--gpus", "lots", "img").startsWith("invalid value for --gpus: 'lots'"));
        assertTrue(error("--cap-add", "ALL; rm", "img").startsWith("invalid value for --cap-add"));
        assertTrue(error("--label", "novalue", "img").startsWith("invalid value for --label: 'novalue'"));
        assertTrue(error("--annotation", "=x", "img").startsWith("invalid value for --annotation: '=x'"));
    }

    @Test
    void optOutsAreMappedAndEachIsWarnedAboutLoudly() {
        LaunchRequest r = request("--no-shield", "--no-vault", "--no-gate", "--no-clearance", "img");
        assertTrue(r.getOptOut().getShield() && r.getOptOut().getVault() && r.getOptOut().getGate()
                && r.getOptOut().getClearance());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Context ctx = new Context(System.out, new PrintStream(err, true, StandardCharsets.UTF_8), ENV);
        RunCommand.warnOptOuts(ctx, r.getOptOut());
        List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(4, lines.size(), lines::toString);
        for (String flag : List.of("--no-shield", "--no-vault", "--no-gate", "--no-clearance")) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("WARNING: " + flag + ": ")), flag + " in " + lines);
        }
        assertTrue(request("--no-gate", "img").getOptOut().getGate());
        assertFalse(request("--no-gate", "img").getOptOut().getShield());
    }

    @Test
    void badInputFailsBeforeAnyServiceIsContacted(@TempDir Path runtimeDir) {
        Map<String, String> env = Map.of("TEROK_RUNTIME_DIR", runtimeDir.toString(), "TEROK_STATE_DIR", runtimeDir.toString());
        Cli r = Cli.run(env, "run", "--memory", "12x", "img");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().startsWith("terok: invalid value for --memory: '12x' ("), r::toString);
        assertTrue(r.err().contains("hint: `terok run --help` shows the usage"), r::toString);
        assertFalse(r.err().contains("Exception"), r::toString);
        assertEquals("", r.out());

        Cli noImage = Cli.run(env, "run", "--rm");
        assertEquals(2, noImage.exit(), noImage::toString);
        assertTrue(noImage.err().contains("IMAGE"), noImage::toString);

        Cli both = Cli.run(env, "run", "--rm", "-d", "img");
        assertEquals(2, both.exit(), both::toString);
        assertTrue(both.err().startsWith("terok: --rm cannot be combined with --detach"), both::toString);
    }

    @Test
    void withoutServicesRunWarnsThenSaysWhatToStart(@TempDir Path runtimeDir) {
        Cli r = Cli.run(Map.of("TEROK_RUNTIME_DIR", runtimeDir.toString()), "run", "--no-shield", "img", "true");
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().startsWith("WARNING: --no-shield: "), r::toString);
        assertTrue(r.err().contains("terok: cannot reach the runtime service: no socket at "
                + runtimeDir.resolve("runtime.sock")), r::toString);
        assertTrue(r.err().contains("hint: start the services with `terok services up`"), r::toString);
    }
}
