package io.terok.vault;

import io.quarkus.grpc.GrpcService;
import io.terok.api.v1.VaultServiceGrpc;

/**
 * The vault service's public API (terok.v1.VaultService, see docs/api.md), registered so health checks and
 * reflection list it. Every method answers UNIMPLEMENTED until the vault issue fills it in; callers such as
 * runtime-service treat that as "service not available" and fail closed.
 */
@GrpcService
public class VaultGrpcService extends VaultServiceGrpc.VaultServiceImplBase {
}
