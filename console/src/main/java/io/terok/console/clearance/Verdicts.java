package io.terok.console.clearance;

import io.terok.api.v1.ClearanceRequest;
import io.terok.api.v1.Decision;
import io.terok.api.v1.VerdictRequest;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.util.List;

/**
 * Turns the operator's click into clearance's Verdict call, the same call the desktop notification's buttons make.
 * The page sends only the request id and the decision: task, destination and port are taken from the request
 * clearance itself issued (its pending list), never from the browser, so a page cannot aim a verdict anywhere else.
 */
public final class Verdicts {
    private Verdicts() {
    }

    /** "allow" or "deny", as the page's buttons send it. */
    public static Decision decision(String s) {
        if ("allow".equals(s)) {
            return Decision.DECISION_ALLOW;
        }
        if ("deny".equals(s)) {
            return Decision.DECISION_DENY;
        }
        throw ServiceException.invalid("decision", "'" + Printable.line(s, 40) + "' is not allow or deny");
    }

    /** The Verdict for the pending request {@code requestId}; NOT_FOUND when clearance has no such request pending. */
    public static VerdictRequest request(List<ClearanceRequest> pending, String requestId, String decision) {
        Decision d = decision(decision);
        if (requestId == null || requestId.isBlank()) {
            throw ServiceException.invalid("requestId", "is required: the id of the pending request to answer");
        }
        ClearanceRequest r = pending.stream().filter(p -> p.getId().equals(requestId)).findFirst()
                .orElseThrow(() -> ServiceException.notFound("no pending request " + Printable.line(requestId, 80)
                        + ": it was answered already, dropped with its task, or never issued (reload the page)"));
        return VerdictRequest.newBuilder().setRequestId(r.getId()).setTaskId(r.getTaskId())
                .setDestinationIp(r.getDestinationIp()).setDestinationPort(r.getDestinationPort()).setDecision(d).build();
    }
}
