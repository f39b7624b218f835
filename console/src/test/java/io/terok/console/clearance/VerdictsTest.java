package io.terok.console.clearance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.ClearanceRequest;
import io.terok.api.v1.Decision;
import io.terok.api.v1.VerdictRequest;
import io.terok.common.ServiceException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A click becomes a Verdict only for a request clearance issued, aimed where that request was. */
class VerdictsTest {
    static final List<ClearanceRequest> PENDING = List.of(
            ClearanceRequest.newBuilder().setId("r1").setTaskId("0123456789abcdef0123456789abcdef")
                    .setDestinationIp("198.18.0.7").setDestinationPort(443).setProtocol("tcp").build(),
            ClearanceRequest.newBuilder().setId("r2").setTaskId("fedcba9876543210fedcba9876543210")
                    .setDestinationIp("198.18.0.8").setDestinationPort(80).setProtocol("tcp").build());

    @Test
    void theVerdictTakesTaskAndDestinationFromTheIssuedRequest() {
        VerdictRequest v = Verdicts.request(PENDING, "r2", "allow");
        assertEquals("r2", v.getRequestId());
        assertEquals("fedcba9876543210fedcba9876543210", v.getTaskId());
        assertEquals("198.18.0.8", v.getDestinationIp());
        assertEquals(80, v.getDestinationPort());
        assertEquals(Decision.DECISION_ALLOW, v.getDecision());
        assertEquals(Decision.DECISION_DENY, Verdicts.request(PENDING, "r1", "deny").getDecision());
    }

    @Test
    void anUnknownRequestOrDecisionIsRefusedNamingWhatWasWrong() {
        ServiceException notIssued = assertThrows(ServiceException.class, () -> Verdicts.request(PENDING, "r9", "allow"));
        assertEquals(ServiceException.Kind.NOT_FOUND, notIssued.kind());
        assertTrue(notIssued.getMessage().contains("no pending request r9"), notIssued.getMessage());
        ServiceException bad = assertThrows(ServiceException.class, () -> Verdicts.request(PENDING, "r1", "<b>yes"));
        assertEquals(ServiceException.Kind.INVALID, bad.kind());
        assertTrue(bad.getMessage().contains("decision"), bad.getMessage());
        assertEquals(ServiceException.Kind.INVALID,
                assertThrows(ServiceException.class, () -> Verdicts.request(PENDING, "", "allow")).kind());
    }
}
