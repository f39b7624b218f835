package io.terok.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.AddSshKeyRequest;
import io.terok.api.v1.ExportSshKeyRequest;
import io.terok.api.v1.ExportSshKeyResponse;
import io.terok.api.v1.ImportSshKeyRequest;
import io.terok.api.v1.ListSshKeysRequest;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.MintTaskTokensResponse;
import io.terok.api.v1.RemoveSshKeyRequest;
import io.terok.api.v1.RevokeTaskTokensRequest;
import io.terok.api.v1.SshKeyInfo;
import io.terok.api.v1.SshKeyType;
import io.terok.vault.ssh.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SSH key RPCs and the agent wiring of MintTaskTokens over the real gRPC socket, checked with the real OpenSSH tools. */
@QuarkusTest
class SshApiTest {
    static VaultApi api;
    static Path tmp;

    @BeforeAll
    static void connect() throws Exception {
        Tools.require("ssh-add");
        Tools.require("ssh-keygen");
        api = new VaultApi();
        tmp = Files.createTempDirectory("terok-ssh-api");
    }

    @AfterAll
    static void close() {
        api.close();
        Tools.run(List.of("rm", "-rf", tmp.toString()), Map.of(), null);
    }

    static Status.Code refused(Runnable r, String message) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, r::run);
        assertTrue(String.valueOf(e.getStatus().getDescription()).contains(message), e.getStatus().toString());
        return e.getStatus().getCode();
    }

    @Test
    void keysAreGeneratedImportedListedExportedAndRemoved() throws Exception {
        SshKeyInfo ed = api.stub().addSshKey(AddSshKeyRequest.newBuilder().setProject("api-proj").setComment("dev key").build());
        assertEquals(SshKeyType.SSH_KEY_TYPE_ED25519, ed.getType());
        assertTrue(ed.getPublicKey().startsWith("ssh-ed25519 ") && ed.getPublicKey().endsWith(" dev key"), ed.getPublicKey());
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(() -> api.stub().addSshKey(AddSshKeyRequest.newBuilder().setProject("api-proj")
                .setType(SshKeyType.SSH_KEY_TYPE_RSA).setBits(2048).build()), "bits: an RSA key of 2048 bits is too weak"));
        SshKeyInfo rsa = api.stub().addSshKey(AddSshKeyRequest.newBuilder().setProject("api-proj").setType(SshKeyType.SSH_KEY_TYPE_RSA).build());
        Path rsaPub = tmp.resolve("rsa.pub");
        Files.writeString(rsaPub, rsa.getPublicKey() + "\n");
        assertTrue(Tools.run(List.of("ssh-keygen", "-l", "-f", rsaPub.toString()), Map.of(), null).ok().out().startsWith("4096 "
                + rsa.getFingerprint()), "RSA default is 4096 bits");
        assertEquals("terok:api-proj", rsa.getComment());
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(() -> api.stub().addSshKey(AddSshKeyRequest.newBuilder().setProject("Bad/Name").build()),
                "project: 'Bad/Name' is not a project name"));

        Tools.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "imported", "-f", tmp.resolve("imp").toString()), Map.of(), null).ok();
        SshKeyInfo imp = api.stub().importSshKey(ImportSshKeyRequest.newBuilder().setProject("api-other")
                .setPrivateKey(Files.readString(tmp.resolve("imp"))).build());
        assertEquals(Files.readString(tmp.resolve("imp.pub")).strip(), imp.getPublicKey());
        // The same key for a second project: one key, two assignments.
        SshKeyInfo again = api.stub().importSshKey(ImportSshKeyRequest.newBuilder().setProject("api-proj")
                .setPrivateKey(Files.readString(tmp.resolve("imp"))).build());
        assertEquals(imp.getId(), again.getId());
        Tools.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "pass", "-f", tmp.resolve("enc").toString()), Map.of(), null).ok();
        String encrypted = Files.readString(tmp.resolve("enc"));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(() -> api.stub().importSshKey(ImportSshKeyRequest.newBuilder().setProject("api-proj")
                .setPrivateKey(encrypted).build()), "private_key: the key is encrypted"));

        List<SshKeyInfo> listed = api.stub().listSshKeys(ListSshKeysRequest.newBuilder().setProject("api-proj").build()).getKeysList();
        assertEquals(List.of(ed.getId(), rsa.getId(), imp.getId()), listed.stream().map(SshKeyInfo::getId).toList());
        assertFalse(listed.toString().contains("PRIVATE"), "no private key in a listing");

        ExportSshKeyResponse pub = api.stub().exportSshKey(ExportSshKeyRequest.newBuilder().setId(ed.getId()).build());
        assertEquals(ed.getPublicKey(), pub.getPublicKey());
        assertEquals("", pub.getPrivateKey(), "private only when asked for");
        ExportSshKeyResponse priv = api.stub().exportSshKey(ExportSshKeyRequest.newBuilder().setId(ed.getId()).setIncludePrivate(true).build());
        Path exported = tmp.resolve("exported");
        Files.writeString(exported, priv.getPrivateKey(), java.nio.charset.StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(exported, PosixFilePermissions.fromString("rw-------"));
        assertEquals(ed.getPublicKey(), Tools.run(List.of("ssh-keygen", "-y", "-f", exported.toString()), Map.of(), null).ok().out().strip());
        assertEquals(Status.Code.NOT_FOUND, refused(() -> api.stub().exportSshKey(ExportSshKeyRequest.newBuilder().setId(99999).build()),
                "id: no ssh key 99999"));

        assertTrue(api.stub().removeSshKey(RemoveSshKeyRequest.newBuilder().setId(rsa.getId()).build()).getRemoved());
        assertFalse(api.stub().removeSshKey(RemoveSshKeyRequest.newBuilder().setId(rsa.getId()).build()).getRemoved());
        assertEquals(2, api.stub().listSshKeys(ListSshKeysRequest.newBuilder().setProject("api-proj").build()).getKeysCount());
    }

    @Test
    void aTaskOfAProjectWithKeysGetsItsAgentUntilRevoked() throws Exception {
        SshKeyInfo gateOnly = api.stub().addSshKey(AddSshKeyRequest.newBuilder().setProject("agent-proj").setComment("gate key").build());
        assertEquals(io.terok.api.v1.SshKeyUse.SSH_KEY_USE_GATE, gateOnly.getUse(), "no use given: a gate key (fail closed)");
        assertEquals(MintTaskTokensResponse.getDefaultInstance(), api.stub().mintTaskTokens(MintTaskTokensRequest.newBuilder()
                .setTaskId(TaskIds.of("task-gate-only")).setProject("agent-proj").build()), "a gate key gives a task no agent");
        SshKeyInfo k = api.stub().addSshKey(AddSshKeyRequest.newBuilder().setProject("agent-proj").setComment("agent key")
                .setUse(io.terok.api.v1.SshKeyUse.SSH_KEY_USE_TASK).build());
        assertEquals(io.terok.api.v1.SshKeyUse.SSH_KEY_USE_TASK, k.getUse());
        MintTaskTokensResponse none = api.stub().mintTaskTokens(MintTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-nokeys"))
                .setProject("keyless-proj").build());
        assertEquals(MintTaskTokensResponse.getDefaultInstance(), none, "no providers, no keys: nothing to wire");

        api.putKey("anthropic", VaultApi.realKey("anthropic"));
        MintTaskTokensResponse r = api.stub().mintTaskTokens(MintTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-ssh"))
                .setProject("agent-proj").addProviders("anthropic").setHostAddress("127.0.0.1").build());
        assertEquals("/run/terok/ssh-agent/agent.sock", r.getEnvOrThrow("SSH_AUTH_SOCK"));
        assertTrue(r.getEnvMap().containsKey("ANTHROPIC_API_KEY"));
        assertEquals(1, r.getMountsCount());
        Map.Entry<String, String> mount = r.getMountsMap().entrySet().iterator().next();
        assertEquals("/run/terok/ssh-agent", mount.getValue());
        Path sock = Path.of(mount.getKey(), "agent.sock");
        String listed = Tools.run(List.of("ssh-add", "-l"), Map.of("SSH_AUTH_SOCK", sock.toString()), null).ok().out();
        assertTrue(listed.contains(k.getFingerprint()) && listed.contains("agent key"), listed);
        assertFalse(listed.contains(gateOnly.getFingerprint()), listed);
        // SetSshKeyUse: the gate key marked for task use shows up at the next request; UNSPECIFIED is refused.
        assertEquals(io.terok.api.v1.SshKeyUse.SSH_KEY_USE_TASK, api.stub().setSshKeyUse(io.terok.api.v1.SetSshKeyUseRequest.newBuilder()
                .setId(gateOnly.getId()).setUse(io.terok.api.v1.SshKeyUse.SSH_KEY_USE_TASK).build()).getKeys(0).getUse());
        assertTrue(Tools.run(List.of("ssh-add", "-l"), Map.of("SSH_AUTH_SOCK", sock.toString()), null).ok().out().contains(gateOnly.getFingerprint()));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(() -> api.stub().setSshKeyUse(io.terok.api.v1.SetSshKeyUseRequest.newBuilder()
                .setId(gateOnly.getId()).build()), "use: say GATE"));

        api.stub().revokeTaskTokens(RevokeTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-ssh")).build());
        assertFalse(Files.exists(sock), "the socket is deleted at revocation");
        assertFalse(Files.exists(Path.of(mount.getKey())));
        assertTrue(api.stub().listTokens(io.terok.api.v1.ListTokensRequest.newBuilder().setTaskId(TaskIds.of("task-ssh")).build()).getTokensList().isEmpty());
    }
}
