package io.terok.runtime.compose;

import io.terok.api.v1.RevokeCredentialsResponse;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskWiring;
import io.terok.common.PrivateFiles;
import io.terok.common.ServiceException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Starting a stopped task again. Stop keeps everything the launch wired (the container with its environment, hence
 * the same phantom tokens and gate token; shield's state; the vault's SSH agent; the clearance registration), so a
 * start mints nothing: it asks each service the record names whether it still holds the task's part, re-establishes
 * what a service keeps only while it runs (clearance's registration, the SSH agent's socket), and after the container
 * started, confirms that the firewall loaded. A task whose credentials were revoked gets its revocation repeated
 * instead, so it comes back without them whatever happened in between.
 *
 * <p>Every check happens before the container starts, so a failing one leaves the task exactly as it was (stopped,
 * with its wiring); a firewall that did not load after the start is the caller's to undo (the container is stopped).
 */
public final class StartComposition {
    private static final Logger LOG = Logger.getLogger(StartComposition.class);

    private final TaskServices services;
    private final WiringRelease release;

    public StartComposition(TaskServices services) {
        this.services = services;
        this.release = new WiringRelease(services);
    }

    /** Checks and re-establishes the task's wiring; throws, naming the service and what to do, when it cannot. */
    public void prepare(Task t, String hostAddress) {
        TaskWiring w = t.getWiring();
        String id = t.getId();
        String name = t.getName();
        String project = t.getSpec().getProject();
        if (w.getShieldApplied()) {
            boolean known = LaunchComposition.required("shield", "refusing to start the task with unfiltered egress",
                    () -> services.shieldKnows(id));
            if (!known) {
                throw ServiceException.precondition("task " + name + ": shield-service has no firewall state for it any "
                        + "more (released, or its state directory was lost), so it is not started: without that state "
                        + "its container would run without its firewall. Remove it (terok rm " + name
                        + ") and launch it again");
            }
        } else if (!w.getOptedOutList().isEmpty()) {
            LOG.warnf("!!! task %s starts again WITHOUT %s-service, as it was launched (explicit opt-out)", name,
                    String.join(", ", w.getOptedOutList()));
        }
        if (w.getCredentialsRevoked()) {
            keepRevoked(t);
        } else {
            checkCredentials(t, hostAddress);
        }
        if (w.getClearanceRegistered()) {
            // Clearance keeps registrations in memory only: after its restart it knows the task again from here.
            LaunchComposition.required("clearance", "blocked connections could not reach the operator", () -> {
                services.registerClearance(id, name, project);
                return null;
            });
        }
    }

    private void checkCredentials(Task t, String hostAddress) {
        TaskWiring w = t.getWiring();
        String id = t.getId();
        String name = t.getName();
        if (!w.getVaultTokenIdsList().isEmpty()) {
            List<String> held = LaunchComposition.required("vault", "cannot check the task's phantom tokens",
                    () -> services.vaultTokenIds(id));
            List<String> missing = new ArrayList<>(w.getVaultTokenIdsList());
            missing.removeAll(held);
            if (!missing.isEmpty()) {
                throw ServiceException.precondition("task " + name + ": the vault no longer holds its phantom token(s) "
                        + missing + " (revoked, or the vault's database was replaced), so it is not started with dead "
                        + "credentials. Remove it (terok rm " + name + ") and launch it again");
            }
        }
        if (w.getVaultSshAgent()) {
            TaskServices.VaultWiring v = LaunchComposition.required("vault", "cannot re-open the task's SSH agent",
                    () -> services.mintVaultTokens(id, t.getSpec().getProject(), List.of(), hostAddress));
            boolean same = v.mounts().stream().anyMatch(m -> w.getVaultSshAgentDir().isEmpty()
                    || m.hostPath().equals(w.getVaultSshAgentDir()));
            if (!same) {
                throw ServiceException.precondition("task " + name + ": the vault did not re-open its SSH agent (it is "
                        + "locked, or project " + t.getSpec().getProject() + " has no task keys any more). Unlock the "
                        + "vault (terok vault unlock) and start it again, or remove it and launch it again");
            }
        }
        if (!w.getGateUrl().isEmpty()) {
            int tokens = LaunchComposition.required("gate", "cannot check the task's gate token", () -> services.gateTokens(id));
            if (tokens == 0) {
                throw ServiceException.precondition("task " + name + ": the gate no longer holds its token (revoked, or "
                        + "the gate's data was replaced), so it is not started with a dead one. Remove it (terok rm "
                        + name + ") and launch it again");
            }
        }
    }

    /**
     * Revokes again (idempotent), so a revocation that half failed, or a service restored from an older copy, cannot
     * hand the task its credentials back; and re-creates the SSH agent's directory empty, so the container's mount of
     * it still resolves (the vault deleted it with the agent).
     */
    private void keepRevoked(Task t) {
        RevokeCredentialsResponse r = release.revokeCredentials(t);
        if (!r.getFailuresList().isEmpty()) {
            throw ServiceException.precondition("task " + t.getName() + " had its credentials revoked and they could not "
                    + "be revoked again before its start, so it is not started: " + String.join("; ", r.getFailuresList()));
        }
        String dir = t.getWiring().getVaultSshAgentDir();
        if (t.getWiring().getVaultSshAgent() && !dir.isEmpty()) {
            PrivateFiles.directory(Path.of(dir));
        }
    }

    /**
     * After the container started: fails (the caller stops the container) when shield was wired and the container runs
     * without the task's ruleset loaded. The launch's proof that a container which already exited did start behind its
     * firewall (shield's record of the last container it loaded the ruleset into) proves nothing here: it names the same
     * container from its first start.
     */
    public void confirmShieldLoaded(Task t, boolean containerRunning) {
        if (t.getWiring().getShieldApplied() && containerRunning && !services.shieldLoaded(t.getId(), "")) {
            throw new ServiceUnavailableException("shield", "the firewall did not load when the container started again: "
                    + "the podman service in use does not run shield's hook. Run `terok setup`, then restart the "
                    + "podman API service (`terok services down && terok services up` restarts terok's own)");
        }
    }
}
