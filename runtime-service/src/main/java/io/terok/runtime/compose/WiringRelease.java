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

    /**
     * Releases what a launch that was cut off may have taken: its record's wiring was not written yet, so every service
     * its spec needs is asked (releases are idempotent), except those the launch opted out of.
     */
    public List<String> releaseInterrupted(Task t) {
        List<String> failures = new ArrayList<>();
        String id = t.getId();
        io.terok.api.v1.RunSpec spec = t.getSpec();
        List<String> out = t.getWiring().getOptedOutList();
        boolean filtered = spec.getNetwork() != io.terok.api.v1.NetworkMode.NETWORK_MODE_NONE;
        if (filtered && !out.contains("shield") && !out.contains("clearance")) {
            attempt(failures, "clearance registration", "run remove again", () -> services.unregisterClearance(id));
        }
        if (filtered && !out.contains("shield")) {
            attempt(failures, "shield state", "run remove again", () -> services.releaseShield(id));
        }
        if (!spec.getProject().isEmpty() && !out.contains("gate")) {
            attempt(failures, "gate token", "run remove again", () -> services.revokeGateToken(id));
        }
        if ((!spec.getProject().isEmpty() || !spec.getProvidersList().isEmpty()) && !out.contains("vault")) {
            attempt(failures, "vault tokens and SSH agent", "run remove again", () -> services.revokeVaultTokens(id));
        }
        return failures;
    }

    /** The services a launch request opted out of, as the record names them. */
    public static List<String> optedOut(io.terok.api.v1.ServiceOptOut o) {
        List<String> out = new ArrayList<>();
        if (o.getShield()) {
            out.add("shield");
        }
        if (o.getVault()) {
            out.add("vault");
        }
        if (o.getGate()) {
            out.add("gate");
        }
        if (o.getClearance()) {
            out.add("clearance");
        }
        return out;
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
