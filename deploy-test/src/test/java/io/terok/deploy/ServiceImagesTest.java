package io.terok.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.Capability;
import io.grpc.ManagedChannel;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.ListCredentialsRequest;
import io.terok.api.v1.ListProjectsRequest;
import io.terok.api.v1.Project;
import io.terok.api.v1.PutCredentialRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.api.v1.VaultStatus;
import io.terok.api.v1.VaultStatusRequest;
import io.terok.common.grpc.HealthProbe;
import io.terok.common.grpc.UnixChannels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The built service images, started as containers through Testcontainers against podman's API, the way the Quadlet
 * units run them (no network, read-only root, every capability dropped, no-new-privileges, the shared socket
 * directory bind-mounted at the host's path, the data in a mounted directory), driven over gRPC on that socket.
 */
class ServiceImagesTest {
    @TempDir
    static Path tmp;
    static PodmanApi podman;
    static Path run;

    @BeforeAll
    static void imagesAndApi() throws Exception {
        // The images as `terok setup` builds them (unchanged, and quick, when they are current).
        new Terok(Files.createDirectories(tmp.resolve("setup-home"))).run("setup", "--user").ok();
        podman = PodmanApi.start();
        run = Files.createDirectory(tmp.resolve("run"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    @AfterAll
    static void stopApi() throws Exception {
        UnixChannels.shutdown();
        if (podman != null) {
            podman.close();
        }
    }

    /** A service container as its Quadlet unit runs it. */
    static GenericContainer<?> service(String svc, Path data, Map<String, String> env) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse("localhost/terok-" + svc + ":latest"))
                .withNetworkMode("none")
                .withFileSystemBind(run.toString(), run.toString(), BindMode.READ_WRITE)
                .withFileSystemBind(data.toString(), "/var/lib/terok/" + svc, BindMode.READ_WRITE)
                .withTmpFs(Map.of("/tmp", "rw"))
                .withEnv("TEROK_RUNTIME_DIR", run.toString())
                .withEnv("TEROK_DATA_DIR", "/var/lib/terok")
                .withEnv("TEROK_STATE_DIR", "/var/lib/terok/state")
                .withEnv("TEROK_CONFIG_DIR", "/etc/terok")
                .withEnv(env)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withReadonlyRootfs(true)
                        .withCapDrop(Capability.ALL).withSecurityOpts(List.of("no-new-privileges")))
                .waitingFor(Wait.forLogMessage(".*" + svc + "-service serving gRPC on unix:.*\\n", 1)
                        .withStartupTimeout(Duration.ofSeconds(90)));
        return c;
    }

    static void assertHealthyFromHostAndByItsHealthCmd(GenericContainer<?> c, String svc) throws Exception {
        Path socket = run.resolve(svc + ".sock");
        assertTrue(HealthProbe.check(socket, 5000).serving(), svc + " serving at " + socket);
        Container.ExecResult health = c.execInContainer("/opt/terok/healthcheck");
        assertEquals(0, health.getExitCode(), "the units' HealthCmd: " + health.getStderr());
    }

    @Test
    void vaultImageKeepsEncryptedCredentialsInItsDataAcrossARestart() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("vault-data"));
        Map<String, String> env = Map.of("TEROK_VAULT_PASSPHRASE_ENV", "TEROK_TEST_VAULT_PASSPHRASE",
                "TEROK_TEST_VAULT_PASSPHRASE", "deploy-test-passphrase");
        String secret = "sk-deploy-test-" + System.nanoTime();
        try (GenericContainer<?> vault = service("vault", data, env)) {
            vault.start();
            assertHealthyFromHostAndByItsHealthCmd(vault, "vault");
            ManagedChannel ch = UnixChannels.open(run.resolve("vault.sock"));
            try {
                VaultServiceGrpc.VaultServiceBlockingStub stub = VaultServiceGrpc.newBlockingStub(ch);
                VaultStatus st = stub.withDeadlineAfter(10, TimeUnit.SECONDS).status(VaultStatusRequest.getDefaultInstance());
                assertTrue(st.getUnlocked(), "unlocked by the env tier: " + st);
                stub.withDeadlineAfter(10, TimeUnit.SECONDS).putCredential(PutCredentialRequest.newBuilder()
                        .setProvider("anthropic").setKind(CredentialKind.CREDENTIAL_KIND_API_KEY).setApiKey(secret).build());
            } finally {
                ch.shutdownNow();
            }
        }
        Path db = data.resolve("credentials.db");
        assertTrue(Files.size(db) > 0, "the database is in the mounted data directory");
        byte[] head = Arrays.copyOf(Files.readAllBytes(db), 16);
        assertFalse(Arrays.equals("SQLite format 3\0".getBytes(StandardCharsets.US_ASCII), head), "encrypted, not plain SQLite");
        assertFalse(new String(Files.readAllBytes(db), StandardCharsets.ISO_8859_1).contains(secret), "no plaintext secret");

        // A new container on the same data (what systemd does after a crash) finds the credential.
        try (GenericContainer<?> again = service("vault", data, env)) {
            again.start();
            ManagedChannel ch = UnixChannels.open(run.resolve("vault.sock"));
            try {
                List<String> providers = VaultServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .listCredentials(ListCredentialsRequest.getDefaultInstance()).getCredentialsList().stream()
                        .map(c -> c.getProvider()).toList();
                assertEquals(List.of("anthropic"), providers);
            } finally {
                ch.shutdownNow();
            }
        }
    }

    @Test
    void gateImageMirrorsAnUpstreamIntoItsData() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("gate-data"));
        Path upstream = tmp.resolve("upstream.git");
        Path work = tmp.resolve("work");
        git(null, "init", "--quiet", "--bare", "--initial-branch=main", upstream.toString());
        git(null, "init", "--quiet", "--initial-branch=main", work.toString());
        Files.writeString(work.resolve("README"), "hello from the deploy test\n");
        git(work, "add", "README");
        git(work, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "--quiet", "-m", "first");
        git(work, "push", "--quiet", upstream.toString(), "main");
        try (GenericContainer<?> gate = service("gate", data, Map.of())
                // file:// upstreams are read by the service itself: the repository at the same path, read-only.
                .withFileSystemBind(upstream.toString(), upstream.toString(), BindMode.READ_ONLY)) {
            gate.start();
            assertHealthyFromHostAndByItsHealthCmd(gate, "gate");
            ManagedChannel ch = UnixChannels.open(run.resolve("gate.sock"));
            try {
                GateServiceGrpc.GateServiceBlockingStub stub = GateServiceGrpc.newBlockingStub(ch);
                Project p = stub.withDeadlineAfter(30, TimeUnit.SECONDS).createProject(CreateProjectRequest.newBuilder()
                        .setName("deploytest").setUpstreamUrl("file://" + upstream).setSync(true).build());
                assertEquals("main", p.getDefaultBranch(), p.toString());
                assertEquals(List.of("deploytest"), stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                        .listProjects(ListProjectsRequest.getDefaultInstance()).getProjectsList().stream().map(Project::getName).toList());
            } finally {
                ch.shutdownNow();
            }
        }
        Terok.Result log = Terok.exec(List.of("git", "--git-dir", data.resolve("deploytest.git").toString(), "log", "--format=%s", "main"), null, 30);
        assertEquals("first", log.ok().out().strip(), "the mirror in the gate's data directory");
    }

    static void git(Path dir, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("git"));
        if (dir != null) {
            cmd.addAll(List.of("-C", dir.toString()));
        }
        cmd.addAll(List.of(args));
        Terok.exec(cmd, null, 30).ok();
    }
}
