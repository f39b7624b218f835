package io.terok.vault;

import io.grpc.ManagedChannel;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.MintTaskTokensResponse;
import io.terok.api.v1.PutCredentialRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;

/** The vault's gRPC API over its real Unix socket. */
final class VaultApi implements AutoCloseable {
    private final ManagedChannel channel;

    VaultApi() {
        Path dir = Path.of(ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class));
        channel = UnixChannels.open(ServiceName.VAULT.socket(dir));
    }

    VaultServiceGrpc.VaultServiceBlockingStub stub() {
        return VaultServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    void putKey(String provider, String key) {
        stub().putCredential(PutCredentialRequest.newBuilder().setProvider(provider).setKind(CredentialKind.CREDENTIAL_KIND_API_KEY)
                .setApiKey(key).build());
    }

    MintTaskTokensResponse mint(String task, String... providers) {
        return stub().mintTaskTokens(MintTaskTokensRequest.newBuilder().setTaskId(task).addAllProviders(List.of(providers))
                .setHostAddress("127.0.0.1").build());
    }

    static String realKey(String provider) {
        return "REAL-" + provider + "-key-0123456789abcdef";
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
