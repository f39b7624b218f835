package io.terok.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.api.v1.ProjectRef;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A task that speaks the push protocol by hand can send any pack, not only what `git push` would compute. A pack
 * whose objects refer to something missing must never become a branch: the gate's repository would be corrupt for
 * every later clone, sync and forward. The packs here are made by the real `git pack-objects` from chosen objects
 * and sent as the real smart HTTP request.
 */
@QuarkusTest
class PushIntegrityTest {
    static final String ZERO = "0".repeat(40);
    static GateApi api;

    @BeforeAll
    static void setUp() throws IOException {
        api = new GateApi();
    }

    @AfterAll
    static void tearDown() {
        api.close();
    }

    @Test
    void aPackMissingABlobDoesNotBecomeABranch() throws Exception {
        String p = api.createProject(GateApi.unique("holes"), null);
        MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
        Path work = fresh(p);
        api.commit(work, "a.txt", "first " + p + "\n", "first");
        String c1 = api.rev(work, "HEAD");

        String report = push(t, p, "refs/heads/broken", c1, pack(work, c1, api.rev(work, "HEAD^{tree}")));

        assertTrue(report.contains("ng refs/heads/broken"), "refused in the report: " + report);
        assertEquals(1, api.git(gate(p), "rev-parse", "--verify", "-q", "refs/heads/broken").exitCode(), "no branch");
        assertEquals(0, api.stub().listPushes(ProjectRef.newBuilder().setProject(p).build()).getPushesCount());
    }

    @Test
    void aCompletePackOnTopOfAnEarlierRefusedOneIsStillChecked() throws Exception {
        String p = api.createProject(GateApi.unique("dangling"), null);
        MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
        Path work = fresh(p);
        api.commit(work, "b.txt", "base " + p + "\n", "base");
        String c1 = api.rev(work, "HEAD");
        // First the commit and its tree without the blob: refused, but its objects may stay behind unreferenced.
        assertTrue(push(t, p, "refs/heads/one", c1, pack(work, c1, api.rev(work, "HEAD^{tree}"))).contains("ng refs/heads/one"));
        // Then a child whose own objects are all in the pack: only its parent is outside, and that parent's
        // history is incomplete. Trusting "the parent exists" would make a branch no clone can fetch.
        api.git(work, "rm", "-q", "b.txt").ok();
        api.commit(work, "c.txt", "child " + p + "\n", "child");
        String c2 = api.rev(work, "HEAD");
        String report = push(t, p, "refs/heads/two", c2,
                pack(work, c2, api.rev(work, "HEAD^{tree}"), api.rev(work, "HEAD:c.txt")));

        assertTrue(report.contains("ng refs/heads/two"), "refused in the report: " + report);
        assertEquals(1, api.git(gate(p), "rev-parse", "--verify", "-q", "refs/heads/two").exitCode(), "no branch");

        // The whole history, as git push sends it, goes through and leaves a consistent repository.
        api.git(work, t.getEnvMap(), "push", "-q", t.getCloneUrl(), "HEAD:refs/heads/two").ok();
        assertEquals(c2, api.rev(gate(p), "refs/heads/two"));
        api.fsck(gate(p));
    }

    @Test
    void aSelfContainedHandMadePackIsAccepted() throws Exception {
        String p = api.createProject(GateApi.unique("whole"), null);
        MintTaskTokenResponse t = api.mint(GateApi.taskId(), p);
        Path solo = fresh(p);
        api.commit(solo, "d.txt", "alone " + p + "\n", "alone");
        String c = api.rev(solo, "HEAD");

        String report = push(t, p, "refs/heads/main", c, pack(solo, c, api.rev(solo, "HEAD^{tree}"), api.rev(solo, "HEAD:d.txt")));

        assertTrue(report.contains("ok refs/heads/main"), "accepted: " + report);
        assertEquals(c, api.rev(gate(p), "refs/heads/main"));
        api.fsck(gate(p));
    }

    private Path gate(String p) {
        return Path.of(api.stub().repositoryPath(ProjectRef.newBuilder().setProject(p).build()).getPath());
    }

    private static Path fresh(String name) {
        Path work = api.tmp.resolve("work-" + name);
        api.git(api.tmp, "init", "-q", "-b", "main", work.toString()).ok();
        return work;
    }

    /** Exactly the objects named, packed by the real git (no --revs: nothing is added). */
    private static byte[] pack(Path repo, String... ids) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("git", "-C", repo.toString(), "pack-objects", "-q", "--stdout")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().write((String.join("\n", ids) + "\n").getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), "git pack-objects");
        return out;
    }

    /** One ref creation and a pack, as git's push sends them over smart HTTP; returns the report-status text. */
    private static String push(MintTaskTokenResponse t, String project, String ref, String id, byte[] pack) throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String command = ZERO + " " + id + " " + ref + "\0report-status\n";
        body.write(String.format("%04x", command.length() + 4).getBytes(StandardCharsets.US_ASCII));
        body.write(command.getBytes(StandardCharsets.US_ASCII));
        body.write("0000".getBytes(StandardCharsets.US_ASCII));
        body.write(pack);
        String auth = Base64.getEncoder().encodeToString((t.getToken() + ":").getBytes(StandardCharsets.UTF_8));
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.httpPort() + "/" + project + ".git/git-receive-pack"))
                .header("Authorization", "Basic " + auth)
                .header("Content-Type", "application/x-git-receive-pack-request")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        HttpResponse<String> res = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.ISO_8859_1));
        assertEquals(200, res.statusCode(), res.body());
        return res.body();
    }
}
