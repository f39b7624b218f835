package io.terok.runtime.compose;

import io.terok.api.v1.RevokeCredentialsResponse;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskWiring;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gives back what the other services hold for a recorded task, as its wiring says: everything on removal, only the
 * credentials on revocation. Releases are idempotent on the services' side, so a step that failed is simply
 * attempted again later; a service that is not there becomes a failure line naming that retry.
 */
public final class WiringRelease {
    private final TaskServices services;

    public WiringRelease(TaskServices services) {
        this.services = services;
    }

    /** Releases everything, the reverse of the launch (clearance, shield, gate, vault); returns what failed. */
    public List<String> releaseAll(Task t) {
        List<String> failures = new ArrayList<>();
        TaskWiring w = t.getWiring();
        String id = t.getId();
        if (w.getClearanceRegistered()) {
            attempt(failures, "clearance registration", "run remove again", () -> services.unregisterClearance(id));
        }
        if (w.getShieldApplied()) {
            attempt(failures, "shield state", "run remove again", () -> services.releaseShield(id));
        }
        if (!w.getGateUrl().isEmpty()) {
            attempt(failures, "gate token", "run remove again", () -> services.revokeGateToken(id));
        }
        if (holdsVault(w)) {
            attempt(failures, "vault tokens and SSH agent", "run remove again", () -> services.revokeVaultTokens(id));
        }
        return failures;
    }

    /** Takes back the task's credentials (phantom tokens and SSH agent, gate token) only. */
    public RevokeCredentialsResponse revokeCredentials(Task t) {
        TaskWiring w = t.getWiring();
        String id = t.getId();
        Map<String, Runnable> steps = new LinkedHashMap<>();
        if (holdsVault(w)) {
            steps.put("vault tokens and SSH agent", () -> services.revokeVaultTokens(id));
        }
        if (!w.getGateUrl().isEmpty()) {
            steps.put("gate token", () -> services.revokeGateToken(id));
        }
        RevokeCredentialsResponse.Builder out = RevokeCredentialsResponse.newBuilder().setId(id);
        List<String> failures = new ArrayList<>();
        steps.forEach((what, step) -> {
            if (attempt(failures, what, "revoke again", step)) {
                out.addRevoked(what);
            }
        });
        return out.addAllFailures(failures).build();
    }

    private static boolean holdsVault(TaskWiring w) {
        return !w.getVaultTokenIdsList().isEmpty() || w.getVaultSshAgent();
    }

    private static boolean attempt(List<String> failures, String what, String retry, Runnable r) {
        try {
            r.run();
            return true;
        } catch (ServiceUnavailableException e) {
            failures.add("could not release " + what + ": " + e.getMessage() + "; " + retry + " once it is back");
            return false;
        }
    }
}
