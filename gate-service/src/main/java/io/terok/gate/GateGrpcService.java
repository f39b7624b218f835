package io.terok.gate;

import io.quarkus.grpc.GrpcService;
import io.terok.api.v1.GateServiceGrpc;

/**
 * The gate service's public API (terok.v1.GateService, see docs/api.md), registered so health checks and
 * reflection list it. Every method answers UNIMPLEMENTED until the gate issue fills it in; callers such as
 * runtime-service treat that as "service not available" and fail closed.
 */
@GrpcService
public class GateGrpcService extends GateServiceGrpc.GateServiceImplBase {
}
