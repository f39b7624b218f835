package io.terok.vault;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.ChangePassphraseRequest;
import io.terok.api.v1.CredentialInfo;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.DeleteCredentialRequest;
import io.terok.api.v1.ListCredentialsRequest;
import io.terok.api.v1.ListProvidersRequest;
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.LockRequest;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.MintTaskTokensResponse;
import io.terok.api.v1.PutCredentialRequest;
import io.terok.api.v1.UnlockRequest;
import io.terok.api.v1.VaultStatus;
import io.terok.api.v1.VaultStatusRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The VaultService API over its Unix socket: state, credentials, minting. */
@QuarkusTest
class VaultApiTest {
    static VaultApi api;

    @BeforeEach
    void connect() {
        if (api != null) {
            return;
        }
        api = new VaultApi();
        MockUpstreams.PROVIDERS.forEach(p -> api.putKey(p, VaultApi.realKey(p)));
    }

    @AfterAll
    static void close() {
        if (api != null) {
            api.close();
            api = null;
        }
    }

    static StatusRuntimeException refused(Runnable r) {
        return assertThrows(StatusRuntimeException.class, r::run);
    }

    @Test
    void statusShowsTheDatabaseUnlockedByThePassphraseCommand() throws Exception {
        VaultStatus s = api.stub().status(VaultStatusRequest.getDefaultInstance());
        assertTrue(s.getInitialized() && s.getUnlocked(), s.toString());
        assertEquals("command", s.getTier());
        assertEquals(io.terok.vault.store.VaultDatabase.SCHEMA_VERSION, s.getSchemaVersion());
        assertEquals(BrokerTest.port(), s.getBrokerPort());
        Path db = Path.of(s.getDatabasePath());
        assertEquals(MockUpstreams.dataDir.resolve("vault/credentials.db"), db);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(db)));
        // The six shipped routes (chatgpt among them) plus the test's "down" provider (an upstream nothing listens on).
        assertEquals(7, api.stub().listProviders(ListProvidersRequest.getDefaultInstance()).getProvidersCount());
    }

    @Test
    void credentialsArePutListedAndDeletedWithoutEverReturningTheSecret() {
        CredentialInfo info = api.stub().putCredential(PutCredentialRequest.newBuilder().setCredentialSet("work").setProvider("openai")
                .setKind(CredentialKind.CREDENTIAL_KIND_OAUTH).setOauthAccessToken("oauth-access-XYZ").setOauthRefreshToken("refresh-XYZ")
                .setOauthExpiresAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(4_000_000_000L)).build());
        assertEquals(CredentialKind.CREDENTIAL_KIND_OAUTH, info.getKind());
        assertFalse(info.toString().contains("XYZ"));
        List<CredentialInfo> work = api.stub().listCredentials(ListCredentialsRequest.newBuilder().setCredentialSet("work").build()).getCredentialsList();
        assertEquals(1, work.size());
        assertEquals(4_000_000_000L, work.get(0).getOauthExpiresAt().getSeconds());
        assertFalse(work.toString().contains("XYZ"));
        assertTrue(api.stub().deleteCredential(DeleteCredentialRequest.newBuilder().setCredentialSet("work").setProvider("openai").build()).getDeleted());
        assertFalse(api.stub().deleteCredential(DeleteCredentialRequest.newBuilder().setCredentialSet("work").setProvider("openai").build()).getDeleted());
        StatusRuntimeException bad = refused(() -> api.stub().putCredential(PutCredentialRequest.newBuilder().setProvider("nope").setApiKey("k").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        assertTrue(bad.getStatus().getDescription().startsWith("provider: unknown provider 'nope'"), bad.getStatus().getDescription());
        StatusRuntimeException empty = refused(() -> api.stub().putCredential(PutCredentialRequest.newBuilder().setProvider("openai").build()));
        assertEquals("api_key: must not be empty", empty.getStatus().getDescription());
    }

    @Test
    void mintingGivesPhantomsOnlyAndTheBrokerPortToOpen() {
        MintTaskTokensResponse r = api.stub().mintTaskTokens(MintTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-env"))
                .addProviders("anthropic").addProviders("openai").setHostAddress("10.0.2.2").setProject("p1").build());
        int port = BrokerTest.port();
        assertEquals("http://10.0.2.2:" + port, r.getEnvOrThrow("ANTHROPIC_BASE_URL"));
        assertEquals("http://10.0.2.2:" + port + "/v1", r.getEnvOrThrow("OPENAI_BASE_URL"));
        assertTrue(r.getEnvOrThrow("ANTHROPIC_API_KEY").matches("terok-p-[0-9a-f]{64}"));
        assertFalse(r.getEnvOrThrow("ANTHROPIC_API_KEY").equals(r.getEnvOrThrow("OPENAI_API_KEY")));
        assertEquals(List.of(port), r.getHostPortsList());
        assertEquals(List.of("127.0.0.1"), r.getRelayedHostsList(), "both test upstreams are on loopback: one host, once");
        assertEquals(2, r.getTokensCount());
        String all = r.toString();
        MockUpstreams.PROVIDERS.forEach(p -> assertFalse(all.contains(VaultApi.realKey(p))));
        List<io.terok.api.v1.PhantomToken> listed = api.stub().listTokens(ListTokensRequest.newBuilder().setTaskId(TaskIds.of("task-env")).build()).getTokensList();
        assertEquals(List.of("anthropic", "openai"), listed.stream().map(io.terok.api.v1.PhantomToken::getProvider).sorted().toList());
        assertFalse(listed.toString().contains("terok-p-"), "listing never shows token values");
    }

    @Test
    void mintingRefusesUnknownProvidersAndMissingCredentialsNamingTheFix() {
        StatusRuntimeException unknown = refused(() -> api.mint(TaskIds.of("task-bad"), "anthropic", "mistral"));
        assertEquals(Status.Code.INVALID_ARGUMENT, unknown.getStatus().getCode());
        assertTrue(unknown.getStatus().getDescription().startsWith("providers[1]: unknown provider 'mistral'"));
        StatusRuntimeException missing = refused(() -> api.stub().mintTaskTokens(MintTaskTokensRequest.newBuilder().setTaskId(TaskIds.of("task-bad"))
                .addProviders("anthropic").setCredentialSet("empty-set").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, missing.getStatus().getCode());
        assertTrue(missing.getStatus().getDescription().contains("terok vault add anthropic --set empty-set"), missing.getStatus().getDescription());
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(() -> api.mint("", "anthropic")).getStatus().getCode());
        assertEquals(0, api.stub().listTokens(ListTokensRequest.newBuilder().setTaskId(TaskIds.of("task-bad")).build()).getTokensCount(), "nothing half-minted");
    }

    @Test
    void lockStopsTheBrokerAndUnlockBringsBackPersistedTokensAndRekeyWorks() {
        String t = api.mint(TaskIds.of("task-lock"), "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY");
        given().header("x-api-key", t).get("/v1/ok").then().statusCode(200);
        try {
            VaultStatus locked = api.stub().lock(LockRequest.getDefaultInstance());
            assertFalse(locked.getUnlocked());
            assertTrue(locked.getInitialized());
            given().header("x-api-key", t).get("/v1/ok").then().statusCode(503).body("error", equalTo("vault_locked"));
            StatusRuntimeException e = refused(() -> api.mint(TaskIds.of("task-lock2"), "anthropic"));
            assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("terok vault unlock"));

            StatusRuntimeException wrong = refused(() -> api.stub().unlock(UnlockRequest.newBuilder().setPassphrase("wrong").build()));
            assertEquals(Status.Code.PERMISSION_DENIED, wrong.getStatus().getCode());
            assertTrue(wrong.getStatus().getDescription().contains("wrong passphrase"));

            assertEquals("prompt", api.stub().unlock(UnlockRequest.newBuilder().setPassphrase(MockUpstreams.PASSPHRASE).build()).getTier());
            given().header("x-api-key", t).get("/v1/ok").then().statusCode(200);
            api.stub().changePassphrase(ChangePassphraseRequest.newBuilder().setNewPassphrase("a-new-passphrase").build());
            api.stub().lock(LockRequest.getDefaultInstance());
            // The configured command still prints the old passphrase: a clear refusal, no new database.
            StatusRuntimeException stale = refused(() -> api.stub().unlock(UnlockRequest.getDefaultInstance()));
            assertEquals(Status.Code.PERMISSION_DENIED, stale.getStatus().getCode());
            api.stub().unlock(UnlockRequest.newBuilder().setPassphrase("a-new-passphrase").build());
            given().header("x-api-key", t).get("/v1/ok").then().statusCode(200);
            api.stub().changePassphrase(ChangePassphraseRequest.newBuilder().setCurrentPassphrase("a-new-passphrase")
                    .setNewPassphrase(MockUpstreams.PASSPHRASE).build());
            api.stub().lock(LockRequest.getDefaultInstance());
        } finally {
            VaultStatus s = api.stub().unlock(UnlockRequest.getDefaultInstance());
            assertEquals("command", s.getTier());
        }
        given().header("x-api-key", t).get("/v1/ok").then().statusCode(200);
    }
}
