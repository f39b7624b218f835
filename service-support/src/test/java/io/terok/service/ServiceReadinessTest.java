package io.terok.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the service's gRPC health answers while a part of it (the vault's unlock) still starts, and after it failed. */
class ServiceReadinessTest {
    private final List<ServingStatus> answers = new ArrayList<>();
    private final ServiceReadiness readiness = new ServiceReadiness("vault-service", answers::add);

    private ServingStatus health() {
        return answers.get(answers.size() - 1);
    }

    @Test
    void aHeldStartIsNotServingUntilItIsReady() {
        ServiceReadiness.Hold unlock = readiness.hold("the vault's unlock");
        readiness.bound("/run/terok/vault.sock");
        assertEquals(ServingStatus.NOT_SERVING, health(), "the socket answers, but the service is not usable yet");
        assertFalse(readiness.serving());

        unlock.ready();
        assertEquals(ServingStatus.SERVING, health());
        assertTrue(readiness.serving());
    }

    @Test
    void aFailedStartStaysNotServingUntilTheOperatorFixesIt() {
        ServiceReadiness.Hold unlock = readiness.hold("the vault's unlock");
        readiness.bound("/run/terok/vault.sock");
        unlock.failed("the passphrase command exited with 3");
        assertEquals(ServingStatus.NOT_SERVING, health());

        unlock.ready(); // `terok vault unlock` succeeded later
        assertEquals(ServingStatus.SERVING, health());
    }

    @Test
    void withoutHoldsTheBoundSocketIsServing() {
        readiness.bound("/run/terok/gate.sock");
        assertEquals(ServingStatus.SERVING, health());
    }
}
