package io.terok.vault.grpc;

import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.terok.api.v1.AddSshKeyRequest;
import io.terok.api.v1.AuditEntry;
import io.terok.api.v1.AuditRequest;
import io.terok.api.v1.ChangePassphraseRequest;
import io.terok.api.v1.CloseProjectAgentRequest;
import io.terok.api.v1.CloseProjectAgentResponse;
import io.terok.api.v1.CredentialInfo;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.DeleteCredentialRequest;
import io.terok.api.v1.DeleteCredentialResponse;
import io.terok.api.v1.ExportSshKeyRequest;
import io.terok.api.v1.ExportSshKeyResponse;
import io.terok.api.v1.GetGitCredentialRequest;
import io.terok.api.v1.GitCredential;
import io.terok.api.v1.ImportSshKeyRequest;
import io.terok.api.v1.ListCredentialsRequest;
import io.terok.api.v1.ListCredentialsResponse;
import io.terok.api.v1.ListProvidersRequest;
import io.terok.api.v1.ListProvidersResponse;
import io.terok.api.v1.ListSshKeysRequest;
import io.terok.api.v1.ListSshKeysResponse;
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.ListTokensResponse;
import io.terok.api.v1.LockRequest;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.MintTaskTokensResponse;
import io.terok.api.v1.OpenProjectAgentRequest;
import io.terok.api.v1.OpenProjectAgentResponse;
import io.terok.api.v1.PhantomToken;
import io.terok.api.v1.Provider;
import io.terok.api.v1.ProvisionPassphraseRequest;
import io.terok.api.v1.ProvisionPassphraseResponse;
import io.terok.api.v1.PutCredentialRequest;
import io.terok.api.v1.RemoveSshKeyRequest;
import io.terok.api.v1.RemoveSshKeyResponse;
import io.terok.api.v1.RevokeTaskTokensRequest;
import io.terok.api.v1.RevokeTaskTokensResponse;
import io.terok.api.v1.SshKeyInfo;
import io.terok.api.v1.SshKeyType;
import io.terok.api.v1.UnlockRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.api.v1.VaultStatus;
import io.terok.api.v1.VaultStatusRequest;
import io.terok.common.ProtoTime;
import io.terok.common.ServiceException;
import io.terok.service.GrpcCalls;
import io.terok.vault.TaskWiring;
import io.terok.vault.Vault;
import io.terok.vault.VaultBeans;
import io.terok.vault.VaultSetup;
import io.terok.vault.broker.AuditLog;
import io.terok.vault.git.GitCredentials;
import io.terok.vault.passphrase.Provisioner;
import io.terok.vault.ssh.GateAgents;
import io.terok.vault.ssh.SshAgents;
import io.terok.vault.ssh.SshKey;
import io.terok.vault.ssh.SshKeyStore;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** terok.v1.VaultService: a thin adapter from gRPC to {@link Vault}. */
@GrpcService
@Blocking
public class VaultGrpcService extends VaultServiceGrpc.VaultServiceImplBase {
    /** Every failure the vault expects is a {@link ServiceException}, which carries its own status. */
    private static final GrpcCalls.Classifier NO_OTHER_FAILURES = e -> null;

    @Inject
    Vault vault;

    @Inject
    io.terok.vault.broker.TokenBroker broker;

    @Inject
    AuditLog audit;

    @Inject
    VaultSetup setup;

    @Inject
    SshKeyStore sshKeys;

    @Inject
    SshAgents sshAgents;

    @Inject
    GateAgents gateAgents;

    @Inject
    GitCredentials gitCredentials;

    @Override
    public void status(VaultStatusRequest request, StreamObserver<VaultStatus> out) {
        unary(out, () -> status(vault.status()));
    }

    @Override
    public void unlock(UnlockRequest request, StreamObserver<VaultStatus> out) {
        unary(out, () -> status(vault.unlock(request.getPassphrase())));
    }

    @Override
    public void lock(LockRequest request, StreamObserver<VaultStatus> out) {
        unary(out, () -> status(vault.lock(request.getHold())));
    }

    @Override
    public void changePassphrase(ChangePassphraseRequest request, StreamObserver<VaultStatus> out) {
        unary(out, () -> status(vault.changePassphrase(request.getCurrentPassphrase(), request.getNewPassphrase())));
    }

    @Override
    public void listProviders(ListProvidersRequest request, StreamObserver<ListProvidersResponse> out) {
        unary(out, () -> {
            ListProvidersResponse.Builder b = ListProvidersResponse.newBuilder();
            vault.routes().all().forEach(r -> b.addProviders(Provider.newBuilder().setName(r.name())
                    .setUpstreamUrl(r.upstream().toString()).setAuthHeader(r.authHeader()).setAuthPrefix(r.authPrefix())
                    .putAllEnv(r.env()).addAllGitHosts(gitCredentials.hosts().hosts(r.name()))
                    .setGitUser(gitCredentials.hosts().user(r.name()))));
            return b.build();
        });
    }

    @Override
    public void putCredential(PutCredentialRequest r, StreamObserver<CredentialInfo> out) {
        unary(out, () -> {
            String kind = switch (r.getKind()) {
                case CREDENTIAL_KIND_OAUTH -> "oauth";
                case CREDENTIAL_KIND_API_KEY, CREDENTIAL_KIND_UNSPECIFIED -> "api_key";
                default -> throw ServiceException.invalid("kind", "unknown value " + r.getKindValue());
            };
            String secret = kind.equals("oauth") ? r.getOauthAccessToken() : r.getApiKey();
            Long expires = r.hasOauthExpiresAt() ? r.getOauthExpiresAt().getSeconds() * 1000 : null;
            return info(vault.putCredential(r.getCredentialSet(), r.getProvider(), kind, secret, r.getOauthRefreshToken(), expires,
                    r.getOauthAccountId()));
        });
    }

    @Override
    public void listCredentials(ListCredentialsRequest r, StreamObserver<ListCredentialsResponse> out) {
        unary(out, () -> ListCredentialsResponse.newBuilder()
                .addAllCredentials(vault.listCredentials(r.getCredentialSet()).stream().map(VaultGrpcService::info).toList()).build());
    }

    @Override
    public void deleteCredential(DeleteCredentialRequest r, StreamObserver<DeleteCredentialResponse> out) {
        unary(out, () -> DeleteCredentialResponse.newBuilder().setDeleted(vault.deleteCredential(r.getCredentialSet(), r.getProvider())).build());
    }

    @Override
    public void mintTaskTokens(MintTaskTokensRequest r, StreamObserver<MintTaskTokensResponse> out) {
        unary(out, () -> {
            // A task with no providers may still want its project's SSH keys; a locked vault then just gives no agent
            // (nothing is exposed by its absence), while providers asked for and not wired fail the launch.
            List<Vault.Minted> minted = r.getProvidersList().isEmpty() ? List.of()
                    : vault.mint(r.getTaskId(), r.getProject(), r.getProvidersList(), r.getCredentialSet(), r.getTtlSeconds());
            MintTaskTokensResponse.Builder b = MintTaskTokensResponse.newBuilder()
                    .addAllTokens(minted.stream().map(m -> token(m.binding())).toList());
            if (!minted.isEmpty()) {
                int port = VaultBeans.brokerPort();
                b.putAllEnv(TaskWiring.env(vault.routes(), minted, r.getHostAddress(), port, vault::credential)).addHostPorts(port)
                        .addAllRelayedHosts(TaskWiring.relayedHosts(vault.routes(), minted));
            }
            try {
                Optional<Path> agent = minted.isEmpty() && !vault.unlocked() ? Optional.empty()
                        : sshAgents.openFor(r.getTaskId(), r.getProject());
                agent.ifPresent(dir -> b.putEnv("SSH_AUTH_SOCK", SshAgents.CONTAINER_SOCKET)
                        .putMounts(dir.toString(), SshAgents.CONTAINER_DIR));
            } catch (RuntimeException e) {
                if (!minted.isEmpty()) {
                    vault.revoke(r.getTaskId()); // all or nothing
                }
                throw e;
            }
            return b.build();
        });
    }

    @Override
    public void revokeTaskTokens(RevokeTaskTokensRequest r, StreamObserver<RevokeTaskTokensResponse> out) {
        unary(out, () -> {
            if (r.getTaskId().isEmpty()) {
                throw ServiceException.invalid("task_id", "must not be empty");
            }
            // The agent first: its socket closes even when the vault is locked and the database cannot be written.
            sshAgents.close(r.getTaskId());
            int revoked = vault.revoke(r.getTaskId());
            broker.cutTask(r.getTaskId()); // its open streams and WebSockets end with its tokens
            return RevokeTaskTokensResponse.newBuilder().setRevoked(revoked).build();
        });
    }

    @Override
    public void addSshKey(AddSshKeyRequest r, StreamObserver<SshKeyInfo> out) {
        unary(out, () -> info(sshKeys.add(r.getProject(), type(r.getType()), r.getBits(), r.getComment(), use(r.getUse(), true))));
    }

    @Override
    public void importSshKey(ImportSshKeyRequest r, StreamObserver<SshKeyInfo> out) {
        unary(out, () -> info(sshKeys.importKey(r.getProject(), r.getPrivateKey(), r.getComment(), use(r.getUse(), true))));
    }

    @Override
    public void listSshKeys(ListSshKeysRequest r, StreamObserver<ListSshKeysResponse> out) {
        unary(out, () -> ListSshKeysResponse.newBuilder()
                .addAllKeys(sshKeys.list(r.getProject()).stream().map(VaultGrpcService::info).toList()).build());
    }

    @Override
    public void exportSshKey(ExportSshKeyRequest r, StreamObserver<ExportSshKeyResponse> out) {
        unary(out, () -> {
            SshKeyStore.Exported e = sshKeys.export(r.getId(), r.getIncludePrivate());
            return ExportSshKeyResponse.newBuilder().setPublicKey(e.publicLine()).setPrivateKey(e.privateKey().orElse("")).build();
        });
    }

    @Override
    public void setSshKeyUse(io.terok.api.v1.SetSshKeyUseRequest r, StreamObserver<ListSshKeysResponse> out) {
        unary(out, () -> ListSshKeysResponse.newBuilder()
                .addAllKeys(sshKeys.setUse(r.getId(), use(r.getUse(), false)).stream().map(VaultGrpcService::info).toList()).build());
    }

    /** A request's use; unspecified is a gate key where a default is allowed (fail closed), refused where not. */
    private static SshKeyStore.Use use(io.terok.api.v1.SshKeyUse u, boolean defaulted) {
        return switch (u) {
            case SSH_KEY_USE_GATE -> SshKeyStore.Use.GATE;
            case SSH_KEY_USE_TASK -> SshKeyStore.Use.TASK;
            case SSH_KEY_USE_UNSPECIFIED -> {
                if (defaulted) {
                    yield SshKeyStore.Use.GATE;
                }
                throw ServiceException.invalid("use", "say GATE (the gate's sync and forward) or TASK (offered to the project's tasks)");
            }
            default -> throw ServiceException.invalid("use", "unknown use " + u.getNumber() + " (GATE or TASK)");
        };
    }

    @Override
    public void removeSshKey(RemoveSshKeyRequest r, StreamObserver<RemoveSshKeyResponse> out) {
        unary(out, () -> RemoveSshKeyResponse.newBuilder().setRemoved(sshKeys.remove(r.getId())).build());
    }

    @Override
    public void openProjectAgent(OpenProjectAgentRequest r, StreamObserver<OpenProjectAgentResponse> out) {
        unary(out, () -> {
            GateAgents.Opened o = gateAgents.open(r.getProject(), r.getPurpose());
            return OpenProjectAgentResponse.newBuilder().setAgentId(o.id()).setSocketPath(o.socket().toString())
                    .addAllFingerprints(o.fingerprints()).setExpiresAt(ProtoTime.of(o.expiresAt())).build();
        });
    }

    @Override
    public void closeProjectAgent(CloseProjectAgentRequest r, StreamObserver<CloseProjectAgentResponse> out) {
        unary(out, () -> CloseProjectAgentResponse.newBuilder().setClosed(gateAgents.close(r.getAgentId())).build());
    }

    @Override
    public void getGitCredential(GetGitCredentialRequest r, StreamObserver<GitCredential> out) {
        unary(out, () -> {
            GitCredentials.Issued c = gitCredentials.issue(r.getProject(), r.getUrl(), r.getPurpose());
            return GitCredential.newBuilder().setUsername(c.username()).setPassword(c.password()).setProvider(c.provider())
                    .setHost(c.host()).build();
        });
    }

    private static SshKey.Type type(SshKeyType t) {
        return switch (t) {
            case SSH_KEY_TYPE_ED25519, SSH_KEY_TYPE_UNSPECIFIED -> SshKey.Type.ED25519;
            case SSH_KEY_TYPE_RSA -> SshKey.Type.RSA;
            default -> throw ServiceException.invalid("type", "unknown key type " + t.getNumber() + " (ED25519 or RSA)");
        };
    }

    private static SshKeyInfo info(SshKeyStore.Info i) {
        return SshKeyInfo.newBuilder().setId(i.id()).setProject(i.project())
                .setType(i.type() == SshKey.Type.RSA ? SshKeyType.SSH_KEY_TYPE_RSA : SshKeyType.SSH_KEY_TYPE_ED25519)
                .setFingerprint(i.fingerprint()).setComment(i.comment()).setPublicKey(i.publicLine()).setCreatedAt(ProtoTime.ofEpochMilli(i.createdAt()))
                .setUse(i.use() == SshKeyStore.Use.TASK ? io.terok.api.v1.SshKeyUse.SSH_KEY_USE_TASK : io.terok.api.v1.SshKeyUse.SSH_KEY_USE_GATE)
                .build();
    }

    @Override
    public void listTokens(ListTokensRequest r, StreamObserver<ListTokensResponse> out) {
        unary(out, () -> ListTokensResponse.newBuilder()
                .addAllTokens(vault.listTokens(r.getTaskId()).stream().map(VaultGrpcService::token).toList()).build());
    }

    @Override
    public void audit(AuditRequest r, StreamObserver<AuditEntry> out) {
        Instant since = r.hasSince() ? ProtoTime.toInstant(r.getSince()) : Instant.EPOCH;
        java.util.function.Predicate<AuditLog.Entry> filter =
                e -> (r.getTaskId().isEmpty() || r.getTaskId().equals(e.taskId())) && !e.time().isBefore(since);
        try {
            if (!r.getFollow()) {
                audit.read(filter).forEach(e -> out.onNext(entry(e)));
                out.onCompleted();
                return;
            }
            follow(filter, (io.grpc.stub.ServerCallStreamObserver<AuditEntry>) out);
        } catch (RuntimeException e) {
            out.onError(GrpcCalls.toStatus(e, NO_OTHER_FAILURES));
        }
    }

    /** Streams past and new entries until the client cancels (or the service stops); holds one worker thread. */
    private void follow(java.util.function.Predicate<AuditLog.Entry> filter, io.grpc.stub.ServerCallStreamObserver<AuditEntry> out) {
        java.util.concurrent.LinkedBlockingQueue<AuditLog.Entry> queue = new java.util.concurrent.LinkedBlockingQueue<>();
        out.setOnCancelHandler(() -> { });
        try (AutoCloseable ignored = audit.follow(filter, queue::add)) {
            while (!out.isCancelled() && !audit.closed()) {
                AuditLog.Entry e = queue.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (e != null) {
                    out.onNext(entry(e));
                }
            }
            if (!out.isCancelled()) {
                out.onCompleted();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (!out.isCancelled()) {
                out.onError(GrpcCalls.toStatus(e, NO_OTHER_FAILURES));
            }
        }
    }

    private static AuditEntry entry(AuditLog.Entry e) {
        return AuditEntry.newBuilder().setTime(ProtoTime.ofEpochMilli(e.time().toEpochMilli())).setTaskId(e.taskId()).setTokenId(e.tokenId())
                .setProvider(e.provider()).setMethod(e.method()).setPath(e.path()).setStatus(e.status())
                .setOutcome(e.outcome()).setDurationMs(e.durationMs()).setCount(e.count()).build();
    }

    @Override
    public void provisionPassphrase(ProvisionPassphraseRequest r, StreamObserver<ProvisionPassphraseResponse> out) {
        unary(out, () -> {
            Provisioner.Result p = setup.provision(r.getTier());
            boolean done = p.outcome() == Provisioner.Outcome.PROVISIONED;
            return ProvisionPassphraseResponse.newBuilder().setProvisioned(done).setTier(p.tier()).setDetail(p.detail())
                    .setConfigFile(done && !p.tier().equals("kernel-keyring") ? setup.configFile().toString() : "")
                    .addAllWarnings(p.warnings()).setPassphrase(p.passphrase().orElse("")).setStatus(status(vault.status())).build();
        });
    }

    private static VaultStatus status(Vault.Status s) {
        return VaultStatus.newBuilder().setInitialized(s.initialized()).setUnlocked(s.unlocked()).setTier(s.tier())
                .setDatabasePath(s.database().toString()).setSchemaVersion(s.schemaVersion()).setError(s.error())
                .setBrokerPort(VaultBeans.brokerPort()).setHeldSince(s.heldSince()).setUnlocking(s.unlocking()).build();
    }

    private static CredentialInfo info(Vault.Credential c) {
        CredentialInfo.Builder b = CredentialInfo.newBuilder().setCredentialSet(c.credentialSet()).setProvider(c.provider())
                .setKind(c.oauth() ? CredentialKind.CREDENTIAL_KIND_OAUTH : CredentialKind.CREDENTIAL_KIND_API_KEY)
                .setUpdatedAt(ProtoTime.ofEpochMilli(c.updatedAt()));
        if (c.expiresAt() != null) {
            b.setOauthExpiresAt(ProtoTime.ofEpochMilli(c.expiresAt()));
        }
        if (c.accountId() != null) {
            b.setOauthAccountId(c.accountId());
        }
        return b.build();
    }

    private static PhantomToken token(Vault.Binding b) {
        PhantomToken.Builder t = PhantomToken.newBuilder().setId(b.id()).setTaskId(b.taskId()).setProvider(b.provider())
                .setCredentialSet(b.credentialSet()).setCreatedAt(ProtoTime.ofEpochMilli(b.createdAt()));
        if (b.expiresAt() != null) {
            t.setExpiresAt(ProtoTime.ofEpochMilli(b.expiresAt()));
        }
        return t.build();
    }

    private static <T> void unary(StreamObserver<T> out, Supplier<T> body) {
        GrpcCalls.unary(out, NO_OTHER_FAILURES, body);
    }
}
