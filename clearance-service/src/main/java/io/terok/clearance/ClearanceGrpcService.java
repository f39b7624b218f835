package io.terok.clearance;

import io.quarkus.grpc.GrpcService;
import io.terok.api.v1.ClearanceServiceGrpc;

/**
 * The clearance service's public API (terok.v1.ClearanceService, see docs/api.md), registered so health checks and
 * reflection list it. Every method answers UNIMPLEMENTED until the clearance issue fills it in; callers such as
 * runtime-service treat that as "service not available" and fail closed.
 */
@GrpcService
public class ClearanceGrpcService extends ClearanceServiceGrpc.ClearanceServiceImplBase {
}
