package io.terok.shield;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC server reflection over the service's socket, as grpcurl asks it (docs/api.md): built on the first call
 * (io.terok.service.LazyReflection), it lists the services and serves their descriptors; the v1alpha protocol is
 * CliEndToEndTest's.
 */
@QuarkusTest
class ReflectionTest {
    static ManagedChannel channel;

    @BeforeAll
    static void connect() {
        channel = UnixChannels.open(ServiceName.SHIELD.socket(
                java.nio.file.Path.of(ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class))));
    }

    @AfterAll
    static void close() {
        channel.shutdownNow();
    }

    @Test
    void listsTheServedServicesButNotItself() throws Exception {
        ServerReflectionResponse r = ask(ServerReflectionRequest.newBuilder().setListServices("*").build());
        List<String> names = r.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList();
        assertTrue(names.contains("terok.v1.ShieldService"), names.toString());
        assertTrue(names.contains("grpc.health.v1.Health"), names.toString());
        assertFalse(names.stream().anyMatch(n -> n.startsWith("grpc.reflection.")), names.toString());
    }

    @Test
    void servesTheDescriptorOfASymbol() throws Exception {
        ServerReflectionResponse r = ask(ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("terok.v1.ShieldService").build());
        assertFalse(r.hasErrorResponse(), r.getErrorResponse().getErrorMessage());
        List<String> services = new ArrayList<>();
        for (var bytes : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
            FileDescriptorProto file = parse(bytes);
            file.getServiceList().forEach(s -> services.add(file.getPackage() + "." + s.getName()));
        }
        assertTrue(services.contains("terok.v1.ShieldService"), services.toString());

        ServerReflectionResponse unknown = ask(ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("terok.v1.NoSuchService").build());
        assertEquals(io.grpc.Status.Code.NOT_FOUND.value(), unknown.getErrorResponse().getErrorCode());
    }

    private static FileDescriptorProto parse(com.google.protobuf.ByteString bytes) {
        try {
            return FileDescriptorProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not a file descriptor", e);
        }
    }

    /** One request on the reflection stream, its one answer. */
    private static ServerReflectionResponse ask(ServerReflectionRequest request) throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    public void onNext(ServerReflectionResponse r) {
                        answer.complete(r);
                    }

                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    public void onCompleted() {
                        answer.completeExceptionally(new AssertionError("the stream ended without an answer"));
                    }
                });
        requests.onNext(request);
        requests.onCompleted();
        return answer.get(30, TimeUnit.SECONDS);
    }
}
