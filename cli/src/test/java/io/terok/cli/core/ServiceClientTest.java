package io.terok.cli.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.terok.api.v1.LockRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.api.v1.VaultStatus;
import io.terok.api.v1.VaultStatusRequest;
import io.terok.cli.Cli;
import io.terok.cli.UdsServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one service client: a call reaches the service's socket, and a refusal names that service and its log. */
class ServiceClientTest {
    @TempDir
    Path runtime;

    @Test
    void aRefusedCallNamesTheServiceAndItsLog() throws Exception {
        Map<String, String> env = Map.of("TEROK_RUNTIME_DIR", runtime.toString(), "TEROK_STATE_DIR",
                runtime.resolve("state").toString());
        try (UdsServer ignored = new UdsServer(runtime.resolve("vault.sock"), new VaultServiceGrpc.VaultServiceImplBase() {
            @Override
            public void status(VaultStatusRequest request, StreamObserver<VaultStatus> response) {
                response.onError(Status.PERMISSION_DENIED.withDescription("not for you").asRuntimeException());
            }

            @Override
            public void lock(LockRequest request, StreamObserver<VaultStatus> response) {
                response.onNext(VaultStatus.newBuilder().setDatabasePath("/db").setInitialized(true).setBrokerPort(1).build());
                response.onCompleted();
            }
        })) {
            Cli refused = Cli.run(env, "vault", "status");
            assertEquals(1, refused.exit(), refused::toString);
            assertEquals("terok: cannot read the vault status: not for you\nhint: the vault service refused the request (log: "
                    + runtime.resolve("state/logs/vault.log") + ")\n", refused.err());

            Cli locked = Cli.run(env, "vault", "lock");
            assertEquals(0, locked.exit(), locked::toString);
            assertEquals("database:  /db\nstate:     locked\nbroker:    127.0.0.1:1\n", locked.out());
        }
    }
}
