package io.terok.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.common.HostProcess;
import io.terok.common.grpc.UnixChannels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 14: the builder's config.yaml and computed directories must not be baked into a service jar.
 * Builds this service from a copy of the sources (nothing installed; on a fresh machine Maven may still have to
 * fetch the Quarkus build's own artifacts, since this can run before any module was packaged) while TEROK_CONFIG_DIR points
 * at a config.yaml with sentinels and TEROK_DATA_DIR at a sentinel path, then (1) no class or resource of the
 * built application carries a sentinel, and (2) the built jar, started without that file, refuses the annotation
 * only the builder's file allowed.
 */
class BakedConfigTest {
    static final String SENTINEL = "sentinel-baked-7f3a";
    static Path work;

    @AfterAll
    static void cleanUp() throws IOException {
        if (work != null) {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void theBuildersConfigYamlIsNotBakedIntoTheJar() throws Exception {
        work = Files.createTempDirectory("terok-baked-config");
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        Path copy = Files.createDirectories(work.resolve("src"));
        HostProcess.Result tar = HostProcess.of("sh", "-c", "tar -C \"$1\" --exclude=target --exclude=.git -cf - . | tar -C \"$2\" -xf -",
                "sh", repo.toString(), copy.toString()).timeout(Duration.ofMinutes(2)).run();
        assertTrue(tar.ok(), tar.describeFailure());

        Path builderConfig = Files.createDirectories(work.resolve("builder-config"));
        Files.writeString(builderConfig.resolve("config.yaml"), "terok:\n"
                + "  runtime:\n    allowed-annotations: io.terok.agent,org.example." + SENTINEL + "\n"
                + "  vault:\n    systemd-creds-file: /" + SENTINEL + "/passphrase.cred\n");
        HostProcess.Result build = HostProcess.of(copy.resolve("mvnw").toString(), "-B", "-q", "-ntp",
                        "-pl", "runtime-service", "-am", "package", "-DskipTests")
                .directory(copy).env("TEROK_CONFIG_DIR", builderConfig.toString())
                .env("TEROK_DATA_DIR", "/tmp/" + SENTINEL + "-data").env("TEROK_STATE_DIR", "/tmp/" + SENTINEL + "-state")
                .timeout(Duration.ofMinutes(15)).run();
        assertEquals(0, build.exitCode(), build.describeFailure());

        Path app = copy.resolve("runtime-service/target/quarkus-app");
        assertTrue(Files.isRegularFile(app.resolve("quarkus-run.jar")), "built: " + app);
        List<String> carriers = new ArrayList<>();
        try (Stream<Path> files = Files.walk(app)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (f.toString().endsWith(".jar")) {
                    try (ZipInputStream z = new ZipInputStream(Files.newInputStream(f))) {
                        for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                            if (contains(z, SENTINEL)) {
                                carriers.add(f.getFileName() + "!" + e.getName());
                            }
                        }
                    }
                } else {
                    try (InputStream in = Files.newInputStream(f)) {
                        if (contains(in, SENTINEL)) {
                            carriers.add(app.relativize(f).toString());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), carriers, "the builder's config.yaml and directories are in the built application");

        // The built service, started with an operator file of its own that does not allow the annotation.
        Path rt = Files.createDirectories(work.resolve("rt"));
        Path operatorConfig = Files.createDirectories(work.resolve("operator-config"));
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", app.resolve("quarkus-run.jar").toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("service.log").toFile()).directory(work.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("TEROK_"));
        pb.environment().put("TEROK_RUNTIME_DIR", rt.toString());
        pb.environment().put("TEROK_DATA_DIR", work.resolve("data").toString());
        pb.environment().put("TEROK_STATE_DIR", work.resolve("state").toString());
        pb.environment().put("TEROK_CONFIG_DIR", operatorConfig.toString());
        Process service = pb.start();
        ManagedChannel ch = null;
        try {
            Path socket = rt.resolve("runtime.sock");
            for (int i = 0; i < 600 && !Files.exists(socket) && service.isAlive(); i++) {
                Thread.sleep(100);
            }
            assertTrue(Files.exists(socket), "the built service started: " + Files.readString(work.resolve("service.log")));
            ch = UnixChannels.open(socket);
            RunSpec spec = RunSpec.newBuilder().setImage("localhost/terok-no-such-image").setNetwork(NetworkMode.NETWORK_MODE_NONE)
                    .putAnnotations("org.example." + SENTINEL, "x").build();
            RuntimeServiceGrpc.RuntimeServiceBlockingStub stub = RuntimeServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
            StatusRuntimeException e = RuntimeApi.expectError(() -> stub.launch(LaunchRequest.newBuilder().setRunSpec(spec).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("not an allowed annotation"),
                    "the builder's allowed-annotations do not apply to the built service: " + e.getStatus().getDescription());
            assertFalse(Files.exists(Path.of("/tmp/" + SENTINEL + "-data")), "the builder's data dir is not used");
        } finally {
            if (ch != null) {
                ch.shutdownNow();
            }
            service.destroy();
            if (!service.waitFor(20, TimeUnit.SECONDS)) {
                service.destroyForcibly();
            }
        }
    }

    private static boolean contains(InputStream in, String needle) throws IOException {
        byte[] data = in.readAllBytes();
        return new String(data, StandardCharsets.ISO_8859_1).contains(needle);
    }
}
