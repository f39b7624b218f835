package io.terok.common.grpc;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Asks a service's standard gRPC health endpoint whether it is serving. */
public final class HealthProbe {
    private HealthProbe() {
    }

    /** The result of one probe: serving or not, and why not in words an operator can act on. */
    public record Result(boolean serving, String detail) {
    }

    public static Result check(Path socket, long timeoutMillis) {
        if (!Files.exists(socket)) {
            return new Result(false, "no socket at " + socket);
        }
        ManagedChannel channel = UnixChannels.open(socket);
        try {
            HealthCheckResponse r = HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                    .check(HealthCheckRequest.getDefaultInstance());
            boolean serving = r.getStatus() == HealthCheckResponse.ServingStatus.SERVING;
            return new Result(serving, serving ? "serving" : "health status " + r.getStatus());
        } catch (StatusRuntimeException e) {
            return new Result(false, e.getStatus().getCode() + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription()));
        } finally {
            channel.shutdownNow();
        }
    }
}
