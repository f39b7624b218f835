package io.terok.shield;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.AuditLogRequest;
import io.terok.api.v1.DownRequest;
import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import io.terok.api.v1.ListProfilesRequest;
import io.terok.api.v1.PrepareTaskRequest;
import io.terok.api.v1.PrepareTaskResponse;
import io.terok.api.v1.PreviewRequest;
import io.terok.api.v1.Profile;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.ShieldState;
import io.terok.api.v1.ShieldStatus;
import io.terok.api.v1.ShieldTaskRef;
import io.terok.api.v1.TargetRequest;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gRPC adapter over the real socket: hooks RPCs, fail-closed PrepareTask, error codes, the task verbs. */
@QuarkusTest
class ShieldGrpcServiceTest {
    static ManagedChannel channel;

    @BeforeAll
    static void connect() {
        Path dir = Path.of(ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class));
        channel = UnixChannels.open(ServiceName.SHIELD.socket(dir));
    }

    @AfterAll
    static void close() {
        stub().uninstallHooks(HooksRequest.getDefaultInstance());
        channel.shutdownNow();
    }

    static ShieldServiceGrpc.ShieldServiceBlockingStub stub() {
        return ShieldServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @jakarta.inject.Inject
    io.terok.shield.events.BlockedEventHub hub;

    @Test
    void blockedEventsAreStreamed() throws Exception {
        String task = TestShield.newTaskId();
        var it = ShieldServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .blockedEvents(io.terok.api.v1.BlockedEventsRequest.newBuilder().setTaskId(task).build());
        Thread feeder = new Thread(() -> {
            // the subscription registers asynchronously: distinct ports until one arrives
            for (int port = 1000; port < 1050 && !Thread.currentThread().isInterrupted(); port++) {
                hub.offer(task, new io.terok.shield.events.NflogLine.Packet("198.18.0.9", port, "tcp"));
                hub.offer(TestShield.newTaskId(), new io.terok.shield.events.NflogLine.Packet("198.18.0.8", port, "tcp"));
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        feeder.start();
        io.terok.api.v1.BlockedConnection c = it.next();
        feeder.interrupt();
        assertEquals(task, c.getTaskId());
        assertEquals("198.18.0.9", c.getDestinationIp());
        assertEquals("tcp", c.getProtocol());
        assertTrue(c.getDestinationPort() >= 1000);
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ShieldServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS).blockedEvents(io.terok.api.v1.BlockedEventsRequest.newBuilder()
                        .setTaskId("nope").build()).hasNext()));
    }

    /** Hosts that serve any tenant's content: never in a profile a task gets without asking. */
    static final List<String> WIDE = List.of("storage.googleapis.com", "raw.githubusercontent.com",
            "objects.githubusercontent.com", "release-assets.githubusercontent.com", "production.cloudflare.docker.com");

    static Status.Code code(Runnable r) {
        return assertThrows(StatusRuntimeException.class, r::run).getStatus().getCode();
    }

    @Test
    void hooksGateTheLaunchAndTheTaskVerbsWork() {
        stub().uninstallHooks(HooksRequest.getDefaultInstance());
        HooksStatus h = stub().getHooksStatus(HooksRequest.getDefaultInstance());
        assertFalse(h.getInstalled());
        String task = TestShield.newTaskId();
        PrepareTaskRequest req = PrepareTaskRequest.newBuilder().setTaskId(task).setContainerName("grpc-test")
                .addHostPorts(4242).setHostAddress("10.0.2.2").build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub().prepareTask(req));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("terok setup"), e.getStatus().getDescription());

        h = stub().installHooks(HooksRequest.getDefaultInstance());
        assertTrue(h.getInstalled(), h.getProblemsList().toString());
        assertTrue(Files.isExecutable(Path.of(h.getHooksDir(), "terok-shield-hook")));
        assertTrue(Files.exists(Path.of(h.getRegistrationFile())));

        PrepareTaskResponse p = stub().prepareTask(req);
        assertEquals(task, p.getAnnotationsMap().get("io.terok.shield.task"));
        assertEquals("127.0.0.1", p.getDnsServers(0));

        // the service's default profile: only the named services a coding task needs, no host serving any tenant
        ShieldStatus dflt = stub().status(ShieldTaskRef.newBuilder().setTaskId(task).build());
        assertEquals(List.of("dev-standard"), dflt.getProfilesList());
        assertTrue(dflt.getAllowedList().containsAll(List.of("github.com", "pypi.org", "registry.npmjs.org")), dflt.toString());
        for (String wide : WIDE) {
            assertFalse(dflt.getAllowedList().contains(wide), wide + " is open by default: " + dflt.getAllowedList());
        }
        List<Profile> builtin = stub().listProfiles(ListProfilesRequest.getDefaultInstance()).getProfilesList();
        assertTrue(builtin.stream().anyMatch(x -> x.getName().equals("cdn-wide")
                && x.getEntriesList().containsAll(List.of("storage.googleapis.com", "objects.githubusercontent.com"))));
        assertTrue(builtin.stream().anyMatch(x -> x.getName().equals("containers")
                && x.getEntriesList().contains("production.cloudflare.docker.com")));
        for (String lang : List.of("base", "python", "node", "rust", "go")) {
            Profile prof = builtin.stream().filter(x -> x.getName().equals(lang)).findFirst().orElseThrow();
            assertTrue(prof.getEntriesList().stream().noneMatch(WIDE::contains), lang + ": " + prof.getEntriesList());
        }

        // Allow over gRPC: the host's loopback and metadata are refused, with or without a port; --host-port is explicit
        for (String never : List.of("10.0.2.2", "169.254.169.254")) {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> stub().allow(TargetRequest
                    .newBuilder().setTaskId(task).setTarget(never).setPort(5432).setProtocol("tcp").build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
            assertTrue(refused.getStatus().getDescription().contains("--host-port"), refused.getStatus().getDescription());
        }
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub().allow(TargetRequest.newBuilder().setTaskId(task)
                .setTarget("198.18.7.8").setHostPort(5432).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub().allow(TargetRequest.newBuilder().setTaskId(task)
                .setTarget("example.com").setPort(443).build())));
        ShieldStatus port = stub().allow(TargetRequest.newBuilder().setTaskId(task).setTarget("198.18.7.8").setPort(443).build());
        assertTrue(port.getAllowedList().contains("198.18.7.8:443/tcp"), port.toString());
        ShieldStatus hostPort = stub().allow(TargetRequest.newBuilder().setTaskId(task).setHostPort(5432).build());
        assertTrue(hostPort.getNotes(0).contains("10.0.2.2:5432/tcp"), hostPort.toString());

        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub().allow(TargetRequest.newBuilder().setTaskId(task)
                .setTarget("1.2.3.4; flush ruleset").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub().prepareTask(req.toBuilder()
                .setHostAddress("example.com").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub().prepareTask(req.toBuilder()
                .setTaskId("../../etc").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub().prepareTask(req.toBuilder()
                .addProfiles("no-such-profile").build())));

        ShieldStatus s = stub().allow(TargetRequest.newBuilder().setTaskId(task).setTarget("198.18.7.7").build());
        assertEquals(ShieldState.SHIELD_STATE_INACTIVE, s.getState(), "no container yet");
        assertEquals(ShieldState.SHIELD_STATE_UP, s.getConfiguredState());
        assertTrue(s.getAllowedList().contains("198.18.7.7"));
        s = stub().down(DownRequest.newBuilder().setTaskId(task).setAll(true).build());
        assertEquals(ShieldState.SHIELD_STATE_DOWN_ALL, s.getConfiguredState());
        s = stub().block(ShieldTaskRef.newBuilder().setTaskId(task).build());
        assertEquals(ShieldState.SHIELD_STATE_BLOCKED, s.getConfiguredState());
        String rules = stub().rules(ShieldTaskRef.newBuilder().setTaskId(task).build()).getRuleset();
        assertTrue(rules.contains("TEROK_SHIELD_QUARANTINE"), rules);
        s = stub().up(ShieldTaskRef.newBuilder().setTaskId(task).build());
        assertEquals(ShieldState.SHIELD_STATE_UP, s.getConfiguredState());
        assertEquals(9, stub().auditLog(AuditLogRequest.newBuilder().setTaskId(task).build()).getRecordsCount());
        assertTrue(stub().listProfiles(ListProfilesRequest.getDefaultInstance()).getProfilesList().stream()
                .anyMatch(x -> x.getName().equals("dev-standard") && x.getEntriesList().contains("github.com")));
        assertTrue(stub().preview(PreviewRequest.newBuilder().addProfiles("python").build()).getRuleset()
                .contains("nftset=/pypi.org/"));

        assertTrue(stub().releaseTask(ShieldTaskRef.newBuilder().setTaskId(task).build()).getReleased());
        assertFalse(stub().releaseTask(ShieldTaskRef.newBuilder().setTaskId(task).build()).getReleased());
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub().status(ShieldTaskRef.newBuilder().setTaskId(task).build())));

        h = stub().uninstallHooks(HooksRequest.getDefaultInstance());
        assertFalse(h.getInstalled());
        assertFalse(Files.exists(Path.of(h.getRegistrationFile())));
    }
}
