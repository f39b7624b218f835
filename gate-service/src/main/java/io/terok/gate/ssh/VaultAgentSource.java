package io.terok.gate.ssh;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.CloseProjectAgentRequest;
import io.terok.api.v1.OpenProjectAgentRequest;
import io.terok.api.v1.OpenProjectAgentResponse;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import io.terok.common.ServiceException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/** {@link AgentSource} over vault-service's {@code OpenProjectAgent}/{@code CloseProjectAgent} on its Unix socket. */
public final class VaultAgentSource implements AgentSource {
    private static final Logger LOG = Logger.getLogger(VaultAgentSource.class);
    private final Path socket;

    public VaultAgentSource(Path runtimeDir) {
        this.socket = ServiceName.VAULT.socket(runtimeDir);
    }

    @Override
    public Lease open(String project, String purpose) {
        ManagedChannel ch = UnixChannels.open(socket);
        OpenProjectAgentResponse r;
        try {
            r = VaultServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .openProjectAgent(OpenProjectAgentRequest.newBuilder().setProject(project).setPurpose(purpose).build());
        } catch (StatusRuntimeException e) {
            ch.shutdownNow();
            String why = switch (e.getStatus().getCode()) {
                case UNAVAILABLE -> "vault-service is not running (no answer on " + socket + "): start it with `terok services up`";
                case DEADLINE_EXCEEDED -> "vault-service did not answer within 30 s";
                case UNIMPLEMENTED -> "this vault-service has no OpenProjectAgent: update it";
                default -> e.getStatus().getDescription() == null ? e.getStatus().getCode().toString() : e.getStatus().getDescription();
            };
            throw ServiceException.precondition("cannot use the SSH key of project " + project + " for its ssh upstream: " + why);
        }
        String id = r.getAgentId();
        Path sock = Path.of(r.getSocketPath());
        LOG.infof("vault ssh agent %s for project %s (%s): keys %s", id, project, purpose, r.getFingerprintsList());
        return new Lease() {
            private boolean closed;

            @Override
            public Path socket() {
                return sock;
            }

            @Override
            public synchronized void close() {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    VaultServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .closeProjectAgent(CloseProjectAgentRequest.newBuilder().setAgentId(id).build());
                } catch (StatusRuntimeException e) {
                    // The vault closes an agent nobody uses after its idle timeout anyway.
                    LOG.warnf("cannot close vault ssh agent %s of %s: %s", id, project, e.getStatus());
                } finally {
                    ch.shutdownNow();
                }
            }
        };
    }
}
