package io.terok.shield;

import io.quarkus.grpc.GrpcService;
import io.terok.api.v1.ShieldServiceGrpc;

/**
 * The shield service's public API (terok.v1.ShieldService, see docs/api.md), registered so health checks and
 * reflection list it. Every method answers UNIMPLEMENTED until the shield issue fills it in; callers such as
 * runtime-service treat that as "service not available" and fail closed.
 */
@GrpcService
public class ShieldGrpcService extends ShieldServiceGrpc.ShieldServiceImplBase {
}
