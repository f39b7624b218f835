package io.terok.gate;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.ListProjectsRequest;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.api.v1.ProjectRef;
import io.terok.api.v1.RevokeTaskTokenRequest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The git smart HTTP side: every refusal at the HTTP level (REST Assured), and git behaviour with the real git CLI. */
@QuarkusTest
class GitHttpTest {
    static GateApi api;
    static String project;
    static String other;
    static Path upstream;
    static MintTaskTokenResponse task;

    @BeforeAll
    static void setUp() throws Exception {
        api = new GateApi();
        project = GateApi.unique("http");
        other = GateApi.unique("other");
        upstream = api.upstream(project);
        api.createProject(project, upstream);
        api.createProject(other, api.upstream(other));
        task = api.mint(GateApi.taskId(), project);
        RestAssured.port = api.httpPort();
    }

    @AfterAll
    static void tearDown() {
        api.close();
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static String refs(String repo) {
        return "/" + repo + ".git/info/refs";
    }

    Path gate(String p) {
        return Path.of(api.stub().repositoryPath(ProjectRef.newBuilder().setProject(p).build()).getPath());
    }

    // ------------------------------------------------------------------------------- HTTP-level refusals

    @Test
    void noCredentialsGets401WithAChallenge() {
        given().queryParam("service", "git-upload-pack").get(refs(project)).then().statusCode(401)
                .header("WWW-Authenticate", equalTo("Basic realm=\"terok gate\""))
                .contentType(containsString("text/plain")).body(containsString("terok gate: authentication required"));
        given().header("Authorization", "Basic !!!notbase64").queryParam("service", "git-upload-pack").get(refs(project))
                .then().statusCode(401).header("WWW-Authenticate", containsString("Basic"));
        given().header("Authorization", "Bearer " + task.getToken()).queryParam("service", "git-upload-pack").get(refs(project))
                .then().statusCode(401);
    }

    @Test
    void wrongTokenAndOtherProjectGet403() {
        given().header("Authorization", basic("terok-g-" + "0".repeat(64), "")).queryParam("service", "git-upload-pack")
                .get(refs(project)).then().statusCode(403).body(containsString("unknown or has been revoked"));
        given().header("Authorization", basic("x", task.getToken())).queryParam("service", "git-upload-pack")
                .get(refs(other)).then().statusCode(403).body(containsString("opens only " + project + ".git"));
    }

    @Test
    void tokenWorksAsUserOrPassword() {
        given().header("Authorization", basic(task.getToken(), "")).queryParam("service", "git-upload-pack")
                .get(refs(project)).then().statusCode(200).contentType("application/x-git-upload-pack-advertisement");
        given().header("Authorization", basic("anyone", task.getToken())).queryParam("service", "git-upload-pack")
                .get(refs(project)).then().statusCode(200);
    }

    @Test
    void pathsOutsideTheSmartProtocolAre404Or403() {
        String auth = basic(task.getToken(), "");
        for (String path : List.of("/", "/" + project + ".git/objects/info/packs", "/" + project + ".git/config",
                "/" + project + ".git/hooks/pre-receive", "/%2e%2e/etc/passwd", "/" + project + ".git/%2e%2e/x.git/info/refs",
                "/" + project + "/info/refs", "/q/health", "/terok.v1.GateService/ListProjects")) {
            given().urlEncodingEnabled(false).header("Authorization", auth).get(path).then().statusCode(404);
        }
        // Dumb-protocol info/refs would list every ref, hidden ones included.
        given().header("Authorization", auth).get(refs(project)).then().statusCode(403)
                .body(containsString("smart HTTP"));
        given().header("Authorization", auth).post(refs(project)).then().statusCode(405);
        given().header("Authorization", auth).get("/" + project + ".git/git-upload-pack").then().statusCode(405);
    }

    @Test
    void aDeletedProjectIs404ForItsToken() {
        String p = api.createProject(GateApi.unique("soon-gone"), null);
        MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
        api.stub().deleteProject(io.terok.api.v1.DeleteProjectRequest.newBuilder().setProject(p).build());
        // Deleting a project revokes its tokens: the refusal is 403, not a hint that the name exists.
        given().header("Authorization", basic(t.getToken(), "")).queryParam("service", "git-upload-pack")
                .get(refs(p)).then().statusCode(403);
    }

    @Test
    void bodiesOverTheLimitAreRefusedWith413() throws Exception {
        try (Socket s = new Socket("127.0.0.1", api.httpPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /" + project + ".git/git-receive-pack HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                    + basic(task.getToken(), "") + "\r\nContent-Type: application/x-git-receive-pack-request\r\n"
                    + "Content-Length: " + (300L * 1024 * 1024) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[4096]);
            out.flush();
            InputStream in = s.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 413", status);
        }
    }

    @Test
    void grpcOverTheTcpPortIsRefused() {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", api.httpPort()).usePlaintext().build();
        try {
            String name = GateApi.unique("via-tcp");
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> GateServiceGrpc.newBlockingStub(ch)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).createProject(CreateProjectRequest.newBuilder().setName(name).build()));
            assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.toString());
            assertFalse(api.stub().listProjects(ListProjectsRequest.getDefaultInstance()).getProjectsList().stream()
                    .anyMatch(p -> p.getName().equals(name)), "nothing created over TCP");
        } finally {
            ch.shutdownNow();
        }
    }

    // ------------------------------------------------------------------------------- the real git CLI

    @Test
    void cloneUsesProtocolV2AndTheEnvNeedsNoPrompt() {
        Path dir = api.tmp.resolve("v2-" + System.nanoTime());
        Map<String, String> env = new java.util.HashMap<>(task.getEnvMap());
        env.put("GIT_TRACE_PACKET", "1");
        GateApi.Result r = api.git(api.tmp, env, "-c", "protocol.version=2", "clone", task.getCloneUrl(), dir.toString()).ok();
        assertTrue(r.err().contains("git< version 2"), "protocol v2 in the packet trace:\n" + r.err().lines().limit(20).toList());
        assertEquals(api.rev(upstream, "main"), api.rev(dir, "HEAD"));
        assertFalse(Files.exists(dir.resolve(".git/config")) && readString(dir.resolve(".git/config")).contains(task.getToken()),
                "the token is not written into the clone's config");
        // Hidden refs are neither listed nor fetchable.
        String lsRemote = api.git(api.tmp, task.getEnvMap(), "ls-remote", task.getCloneUrl()).ok().out();
        assertTrue(lsRemote.contains("refs/heads/main"), lsRemote);
        assertFalse(lsRemote.contains("refs/terok"), lsRemote);
        api.git(dir, task.getEnvMap(), "fetch", "origin", "refs/terok/upstream/main").failed();
    }

    @Test
    void shallowAndPartialClonesWork() {
        Path shallow = api.tmp.resolve("shallow-" + System.nanoTime());
        api.git(api.tmp, task.getEnvMap(), "clone", "--depth", "1", task.getCloneUrl(), shallow.toString()).ok();
        assertEquals("true", api.git(shallow, "rev-parse", "--is-shallow-repository").ok().out().trim());
        Path partial = api.tmp.resolve("partial-" + System.nanoTime());
        api.git(api.tmp, task.getEnvMap(), "clone", "--filter=blob:none", task.getCloneUrl(), partial.toString()).ok();
        assertEquals("true", api.git(partial, "config", "remote.origin.promisor").ok().out().trim());
    }

    @Test
    void pushesLandInTheGateNotUpstreamAndForcePushesAreBackedUp() {
        String p = api.createProject(GateApi.unique("push"), api.upstream(GateApi.unique("push-up")));
        String taskId = GateApi.taskId();
        MintTaskTokenResponse t = api.mint(taskId, p);
        Path work = api.tmp.resolve("push-" + System.nanoTime());
        api.git(api.tmp, t.getEnvMap(), "clone", t.getCloneUrl(), work.toString()).ok();
        api.commit(work, "work.txt", "agent\n", "agent work");
        api.git(work, t.getEnvMap(), "push", "origin", "HEAD:refs/heads/agent").ok();
        Path gate = gate(p);
        String pushed = api.rev(work, "HEAD");
        assertEquals(pushed, api.rev(gate, "refs/heads/agent"));
        // Force-push: the old tip is saved first, and git shows the gate's message.
        api.git(work, "commit", "-q", "--amend", "-m", "rewritten").ok();
        GateApi.Result force = api.git(work, t.getEnvMap(), "push", "-f", "origin", "HEAD:refs/heads/agent").ok();
        assertTrue(force.err().contains("terok gate: saved the old tip of refs/heads/agent"), force.err());
        var backups = api.stub().listBackups(ProjectRef.newBuilder().setProject(p).build()).getBackupsList();
        assertEquals(1, backups.size());
        assertEquals(pushed, backups.get(0).getCommitId());
        assertEquals("agent", backups.get(0).getBranch());
        // Deleting a branch is backed up too; the internal namespace cannot be written.
        api.git(work, t.getEnvMap(), "push", "origin", ":refs/heads/agent").ok();
        assertEquals(2, api.stub().listBackups(ProjectRef.newBuilder().setProject(p).build()).getBackupsCount());
        GateApi.Result forge = api.git(work, t.getEnvMap(), "push", "origin", "HEAD:refs/terok/upstream/main");
        forge.failed();
        assertTrue(forge.err().contains("only refs/heads/ and refs/tags/ can be pushed"), forge.err());
        api.git(gate, "rev-parse", "--verify", "-q", "refs/terok/backup/x").failed();
        // Every push is recorded with its task.
        var pushes = api.stub().listPushes(ProjectRef.newBuilder().setProject(p).build()).getPushesList();
        assertEquals(3, pushes.size(), pushes.toString());
        assertEquals(taskId, pushes.get(0).getTaskId());
        assertEquals("create", pushes.get(0).getUpdates(0).getKind());
        assertEquals("force", pushes.get(1).getUpdates(0).getKind());
        assertEquals("delete", pushes.get(2).getUpdates(0).getKind());
        api.fsck(gate);
    }

    @Test
    void aTokenIsMintedOnlyForATaskIdAsRuntimeServiceMakesThem() {
        for (String bad : new String[] {"task-1", "", "A".repeat(32), "0".repeat(31), "0".repeat(33)}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> api.mint(bad, project), bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), bad);
            assertTrue(e.getStatus().getDescription().startsWith("task_id:"), e.getStatus().getDescription());
            StatusRuntimeException r = assertThrows(StatusRuntimeException.class,
                    () -> api.stub().revokeTaskToken(RevokeTaskTokenRequest.newBuilder().setTaskId(bad).build()), bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, r.getStatus().getCode(), bad);
        }
    }

    @Test
    void refusedGitCommandsSayWhyAndWriteNothing() {
        String p = api.createProject(GateApi.unique("refuse"), api.upstream(GateApi.unique("refuse-up")));
        String taskId = GateApi.taskId();
        MintTaskTokenResponse t = api.mint(taskId, p);
        Path work = api.tmp.resolve("refuse-" + System.nanoTime());
        api.git(api.tmp, t.getEnvMap(), "clone", t.getCloneUrl(), work.toString()).ok();
        api.commit(work, "x.txt", "x\n", "x");
        Path gate = gate(p);
        String before = api.git(gate, "for-each-ref").ok().out();

        GateApi.Result none = api.git(work, "push", t.getCloneUrl(), "HEAD:refs/heads/none");
        none.failed();
        assertTrue(none.err().contains("could not read Username") || none.err().contains("401"), none.err());

        Map<String, String> wrong = new java.util.HashMap<>(t.getEnvMap());
        wrong.put("GIT_CONFIG_VALUE_0", "Authorization: " + basic("terok-g-" + "f".repeat(64), ""));
        GateApi.Result bad = api.git(work, wrong, "push", t.getCloneUrl(), "HEAD:refs/heads/wrong");
        bad.failed();
        assertTrue(bad.err().contains("terok gate: the gate token is unknown or has been revoked"), bad.err());
        assertTrue(bad.err().contains("403"), bad.err());

        String otherUrl = t.getCloneUrl().replace(p + ".git", other + ".git");
        GateApi.Result cross = api.git(api.tmp, t.getEnvMap(), "clone", otherUrl, api.tmp.resolve("cross").toString());
        cross.failed();
        assertTrue(cross.err().contains("opens only " + p + ".git"), cross.err());

        assertEquals(1, api.stub().revokeTaskToken(RevokeTaskTokenRequest.newBuilder().setTaskId(taskId).build()).getRevoked());
        GateApi.Result revoked = api.git(work, t.getEnvMap(), "push", "origin", "HEAD:refs/heads/revoked");
        revoked.failed();
        assertTrue(revoked.err().contains("unknown or has been revoked"), revoked.err());
        assertEquals(0, api.stub().revokeTaskToken(RevokeTaskTokenRequest.newBuilder().setTaskId(taskId).build()).getRevoked());

        assertEquals(before, api.git(gate, "for-each-ref").ok().out(), "no ref written by a refused request");
        assertEquals(0, api.stub().listPushes(ProjectRef.newBuilder().setProject(p).build()).getPushesCount());
    }

    @Test
    void aPushOver50MbGoesThrough() throws Exception {
        String p = api.createProject(GateApi.unique("big"), null);
        MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
        Path work = api.tmp.resolve("big-" + System.nanoTime());
        api.git(api.tmp, "init", "-q", "-b", "main", work.toString()).ok();
        byte[] noise = new byte[1024 * 1024];
        Random rnd = new Random(42);
        for (int i = 0; i < 55; i++) {
            rnd.nextBytes(noise);
            Files.write(work.resolve("blob-" + i + ".bin"), noise);
        }
        api.git(work, "add", ".").ok();
        api.git(work, "commit", "-q", "-m", "55 MB of incompressible data").ok();
        api.git(work, t.getEnvMap(), "push", t.getCloneUrl(), "HEAD:refs/heads/main").ok();
        assertEquals(api.rev(work, "HEAD"), api.rev(gate(p), "refs/heads/main"));
        api.fsck(gate(p));
    }

    /**
     * {@code tasks} tasks at once, each with its own token: clone, then {@code rounds} times commit, push to its
     * branch task-N and fetch. Every branch in the gate must end at its task's last commit.
     */
    void tasksCloneAndPush(String p, int tasks, int rounds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                int n = i;
                results.add(pool.submit(() -> {
                    MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
                    Path work = api.tmp.resolve(p + "-" + n);
                    api.git(api.tmp, t.getEnvMap(), "clone", "-q", t.getCloneUrl(), work.toString()).ok();
                    for (int c = 0; c < rounds; c++) {
                        api.commit(work, "f" + n + ".txt", "task " + n + " commit " + c + "\n", "task " + n + " #" + c);
                        api.git(work, t.getEnvMap(), "push", "-q", "origin", "HEAD:refs/heads/task-" + n).ok();
                        api.git(work, t.getEnvMap(), "fetch", "-q", "origin").ok();
                    }
                    return api.rev(work, "HEAD");
                }));
            }
            for (int i = 0; i < tasks; i++) {
                assertEquals(results.get(i).get(240, TimeUnit.SECONDS), api.rev(gate(p), "refs/heads/task-" + i));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentClonesAndPushesFromSeveralTasksKeepTheRepositoryConsistent() throws Exception {
        String p = api.createProject(GateApi.unique("conc"), api.upstream(GateApi.unique("conc-up")));
        tasksCloneAndPush(p, 6, 3);
        api.fsck(gate(p));
        assertEquals(6 * 3, api.stub().listPushes(ProjectRef.newBuilder().setProject(p).build()).getPushesCount());
    }

    @Inject
    GateService gateService;

    @Test
    void clonesAndPushesCarryOnWhileTheRepositoryIsRepacked() throws Exception {
        String p = api.createProject(GateApi.unique("repack"), null);
        MintTaskTokenResponse first = api.mint(GateApi.taskId(), p);
        Path seed = api.tmp.resolve("repack-seed-" + System.nanoTime());
        api.git(api.tmp, "init", "-q", "-b", "main", seed.toString()).ok();
        api.history(seed, 3000, 30); // 9,000 objects: the first push leaves a background repack behind it
        api.git(seed, first.getEnvMap(), "push", "-q", first.getCloneUrl(), "main:refs/heads/main").ok();

        tasksCloneAndPush(p, 4, 2);

        // A check in the foreground waits on the project's lock for any repack still running.
        gateService.maintenance().packIfNeeded(p);
        Path gate = gate(p);
        try (var packs = Files.list(gate.resolve("objects/pack"))) {
            assertTrue(packs.anyMatch(f -> f.toString().endsWith(".bitmap")), "the repository was repacked with bitmaps");
        }
        assertEquals(api.rev(seed, "main"), api.rev(gate, "refs/heads/main"));
        api.fsck(gate);
        assertEquals(1 + 4 * 2, api.stub().listPushes(ProjectRef.newBuilder().setProject(p).build()).getPushesCount());
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
