package io.terok.vault;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.AuditEntry;
import io.terok.api.v1.AuditRequest;
import io.terok.api.v1.ProvisionPassphraseRequest;
import io.terok.api.v1.ProvisionPassphraseResponse;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** {@code Audit} with {@code follow} over the real socket: past entries, then new ones as the broker writes them. */
@QuarkusTest
@QuarkusTestResource(MockUpstreams.class)
class AuditFollowTest {
    @Test
    void followStreamsPastThenNewEntriesOfOneTaskUntilCancelled() throws Exception {
        try (VaultApi api = new VaultApi()) {
            api.putKey("openai", VaultApi.realKey("openai"));
            String mine = api.mint(TaskIds.of("task-follow"), "openai").getEnvOrThrow("OPENAI_API_KEY");
            String other = api.mint(TaskIds.of("task-other"), "openai").getEnvOrThrow("OPENAI_API_KEY");
            int port = VaultBeans.brokerPort();
            given().port(port).header("Authorization", "Bearer " + mine).get("/v1/before-follow").then().statusCode(200);

            Path dir = Path.of(ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class));
            ManagedChannel ch = UnixChannels.open(ServiceName.VAULT.socket(dir));
            LinkedBlockingQueue<AuditEntry> got = new LinkedBlockingQueue<>();
            AtomicReference<Throwable> ended = new AtomicReference<>();
            Context.CancellableContext call = Context.current().withCancellation();
            try {
                call.run(() -> VaultServiceGrpc.newStub(ch).audit(AuditRequest.newBuilder().setTaskId(TaskIds.of("task-follow")).setFollow(true).build(),
                        new StreamObserver<>() {
                            @Override
                            public void onNext(AuditEntry e) {
                                got.add(e);
                            }

                            @Override
                            public void onError(Throwable t) {
                                ended.set(t);
                            }

                            @Override
                            public void onCompleted() {
                                ended.set(new IllegalStateException("completed"));
                            }
                        }));
                AuditEntry past = got.poll(10, TimeUnit.SECONDS);
                assertEquals("/v1/before-follow", past == null ? null : past.getPath(), "the past entry comes first");

                given().port(port).header("Authorization", "Bearer " + other).get("/v1/other-task").then().statusCode(200);
                long t0 = System.nanoTime();
                given().port(port).header("Authorization", "Bearer " + mine).get("/v1/while-following").then().statusCode(200);
                AuditEntry live = got.poll(10, TimeUnit.SECONDS);
                assertEquals("/v1/while-following", live == null ? null : live.getPath(), "only this task's entries, as they happen");
                assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 5000);
                assertEquals(TaskIds.of("task-follow"), live.getTaskId());
                assertEquals(200, live.getStatus());
                assertEquals("ok", live.getOutcome());
                assertNull(ended.get(), "the stream stays open");
            } finally {
                call.cancel(null);
                ch.shutdownNow();
            }
            // A cancelled follower is dropped: requests keep working and are still audited.
            given().port(port).header("Authorization", "Bearer " + mine).get("/v1/after-cancel").then().statusCode(200);
            Path file = MockUpstreams.dataDir.resolve("vault/audit.jsonl");
            boolean seen = false;
            for (int i = 0; i < 50 && !seen; i++) {
                seen = Files.exists(file) && Files.readString(file).contains("/v1/after-cancel");
                Thread.sleep(100);
            }
            assertTrue(seen);
        }
    }

    @Test
    void setupLeavesAConfiguredPassphraseSourceAlone() {
        try (VaultApi api = new VaultApi()) {
            ProvisionPassphraseResponse r = api.stub().provisionPassphrase(ProvisionPassphraseRequest.getDefaultInstance());
            assertFalse(r.getProvisioned());
            assertTrue(r.getDetail().contains("credentials.db exists") || r.getDetail().contains("already configured"), r.getDetail());
            assertEquals("", r.getPassphrase());
            assertTrue(r.getStatus().getUnlocked());
            assertEquals("command", r.getStatus().getTier());
        }
    }
}
