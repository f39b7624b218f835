package io.terok.service;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.reflection.service.ReflectionServiceV1;
import io.quarkus.grpc.reflection.service.ReflectionServiceV1alpha;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.List;
import java.util.function.Function;

/**
 * gRPC server reflection (v1 and v1alpha: what grpcurl and CliEndToEndTest ask, docs/api.md), with Quarkus's own
 * answers, but indexed on the first reflection call instead of while the server starts. Quarkus's switch
 * ({@code quarkus.grpc.server.enable-reflection-service}, off in every service) builds the protobuf descriptors of
 * every service up front (the gate: about 220 classes, 0.09 s of its start), for a call that tooling makes, if
 * ever, long after (docs/benchmarks.md, "Seventh session").
 */
public final class LazyReflection {
    private LazyReflection() {
    }

    /**
     * What the server serves, as Quarkus's reflection lists it: every gRPC service bean (the health service too),
     * but not the reflection services themselves.
     */
    static List<ServerServiceDefinition> served(Instance<BindableService> services) {
        return services.stream().map(BindableService::bindService)
                .filter(d -> !d.getServiceDescriptor().getName().startsWith("grpc.reflection."))
                .toList();
    }

    /** Quarkus's reflection service over {@link #served}, made on the first call. */
    private static final class OnFirstCall<T> {
        private final Function<List<ServerServiceDefinition>, T> make;
        private final Instance<BindableService> services;
        private T made;

        OnFirstCall(Function<List<ServerServiceDefinition>, T> make, Instance<BindableService> services) {
            this.make = make;
            this.services = services;
        }

        synchronized T get() {
            if (made == null) {
                made = make.apply(served(services));
            }
            return made;
        }
    }

    /** grpc.reflection.v1.ServerReflection. */
    @GrpcService
    public static class V1 extends io.grpc.reflection.v1.MutinyServerReflectionGrpc.ServerReflectionImplBase {
        private final OnFirstCall<ReflectionServiceV1> index;

        @Inject
        public V1(@GrpcService Instance<BindableService> services) {
            this.index = new OnFirstCall<>(ReflectionServiceV1::new, services);
        }

        @Override
        public Multi<io.grpc.reflection.v1.ServerReflectionResponse> serverReflectionInfo(
                Multi<io.grpc.reflection.v1.ServerReflectionRequest> requests) {
            return index.get().serverReflectionInfo(requests);
        }
    }

    /** grpc.reflection.v1alpha.ServerReflection (grpcurl's first try). */
    @GrpcService
    public static class V1alpha extends grpc.reflection.v1alpha.MutinyServerReflectionGrpc.ServerReflectionImplBase {
        private final OnFirstCall<ReflectionServiceV1alpha> index;

        @Inject
        public V1alpha(@GrpcService Instance<BindableService> services) {
            this.index = new OnFirstCall<>(ReflectionServiceV1alpha::new, services);
        }

        @Override
        public Multi<grpc.reflection.v1alpha.Reflection.ServerReflectionResponse> serverReflectionInfo(
                Multi<grpc.reflection.v1alpha.Reflection.ServerReflectionRequest> requests) {
            return index.get().serverReflectionInfo(requests);
        }
    }
}
