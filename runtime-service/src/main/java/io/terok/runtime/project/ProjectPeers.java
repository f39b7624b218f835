package io.terok.runtime.project;

import java.util.List;

/** What a project needs from gate and vault; {@link GrpcProjectPeers} over their gRPC contracts, fakes in unit tests. */
public interface ProjectPeers {
    /** @param task a key for the project's tasks (offered by their SSH agent), else the gate's */
    record SshKey(long id, String fingerprint, String publicKey, boolean task) {
    }

    boolean gateHas(String project);

    /** Creates the gate mirror; with {@code sync} fetches the upstream at once (an unreachable one fails and leaves nothing). */
    void gateCreate(String project, String upstreamUrl, boolean sync);

    void gateSync(String project);

    /** The upstream's default branch as the gate's last sync saw it; empty before one. */
    String gateDefaultBranch(String project);

    void gateDelete(String project);

    /** The vault's token broker port on the host's loopback (VaultStatus.broker_port). */
    int brokerPort();

    /** Opens {@code target} (domain, address or CIDR, every port) in the running task's firewall (shield's live Allow). */
    void shieldAllow(String taskId, String target);

    /** Opens exactly {@code address}:{@code port} (tcp) in the running task's firewall (shield's live Allow with a port). */
    void shieldAllowPort(String taskId, String address, int port);

    /** The SSH host keys the gate pinned for the project's ssh upstream (known_hosts lines; none before a sync). */
    List<String> gatePinnedHostKeys(String project);

    /** The commits of {@code branch} that {@code against} does not have, newest first (gate's sanitised Log). */
    List<io.terok.api.v1.Commit> commits(String project, String branch, String against);

    List<SshKey> sshKeys(String project);

    /** @param task a key for the project's tasks (online mode), else one for the gate's sync and forward */
    SshKey addSshKey(String project, boolean task);

    void removeSshKey(long id);
}
