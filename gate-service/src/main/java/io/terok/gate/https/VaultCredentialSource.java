package io.terok.gate.https;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.GetGitCredentialRequest;
import io.terok.api.v1.GitCredential;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import io.terok.common.ServiceException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** {@link CredentialSource} over vault-service's {@code GetGitCredential} on its Unix socket. */
public final class VaultCredentialSource implements CredentialSource {
    private final Path socket;

    public VaultCredentialSource(Path runtimeDir) {
        this.socket = ServiceName.VAULT.socket(runtimeDir);
    }

    @Override
    public Credential get(String project, String url, String purpose) {
        ManagedChannel ch = UnixChannels.open(socket);
        try {
            GitCredential r = VaultServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .getGitCredential(GetGitCredentialRequest.newBuilder().setProject(project).setUrl(url).setPurpose(purpose).build());
            return new Credential(r.getProvider(), r.getHost(), r.getUsername(), r.getPassword().toCharArray());
        } catch (StatusRuntimeException e) {
            String why = switch (e.getStatus().getCode()) {
                case UNAVAILABLE -> "vault-service is not running (no answer on " + socket + "): start it with `terok services up`";
                case DEADLINE_EXCEEDED -> "vault-service did not answer within 30 s";
                case UNIMPLEMENTED -> "this vault-service has no GetGitCredential: update it";
                default -> e.getStatus().getDescription() == null ? e.getStatus().getCode().toString() : e.getStatus().getDescription();
            };
            throw ServiceException.precondition(why);
        } finally {
            ch.shutdownNow();
        }
    }
}
