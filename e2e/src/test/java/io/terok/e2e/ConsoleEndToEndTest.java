package io.terok.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.terok.api.v1.GetPanicStateRequest;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.common.grpc.UnixChannels;
import io.terok.scriptedmodel.Script;
import io.terok.scriptedmodel.ScriptedModelServer;
import io.terok.scriptedmodel.Step;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivateInstallation;
import io.terok.testsupport.PrivatePodman;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The web console against the real services, started by `terok services up` and logged into through `terok
 * console`'s one-time address, driven over HTTP as a browser would (REST Assured): the guard (login, session,
 * CSRF, Host, Origin, headers), a real agent task (Claude Code against the scripted model) started through the
 * console's API whose branch name and commit message carry markup, its review shown escaped, Forward pinned to
 * the shown commit, stop and delete, and a task container that tries the console's port.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleEndToEndTest {
    /** This class's own project ({@link Terok#projectName}): its L2 image is its own to build and remove. */
    static final String PROJECT = Terok.projectName("consoletest");
    static final String BASE = "localhost/terok-agent-base:bookworm";
    static final String KEY = "sk-ant-REAL-console-e2e";
    static final String COMMIT_MESSAGE = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    static final String BRANCH = "terok/<script>alert(3)</script><img-src=x-onerror=alert(4)>";
    static final String EDIT = "echo from-the-agent > agent.txt && git add agent.txt && git commit -q -m '"
            + COMMIT_MESSAGE + "' && git push -q origin HEAD";
    static Terok terok;
    static Path upstream;
    static PrivateInstallation installation;
    static PrivatePodman podman;
    static FakeInternet internet;
    static ScriptedModelServer model;
    static int port;
    static String cookie;
    static String csrf;
    static String taskName;
    static String reviewedCommit;

    @BeforeAll
    static void up() throws Exception {
        model = ScriptedModelServer.start(Script.of(Step.shell(EDIT), Step.text("Committed <b>it</b>."),
                Step.hang()));
        installation = Terok.install("console", FakeInternet.spec("con").addresses(2, 3)).withStagedAgents();
        terok = new Terok(installation);
        internet = installation.internet();
        podman = installation.podman();
        port = Integer.parseInt(terok.env.get("TEROK_CONSOLE_PORT"));
        installation.configWithVault("e2e-console-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: " + model.baseUrl(),
                "git:",
                "  human_name: Console Tester",
                "  human_email: tester@example.com");
        Cmd.Output services = installation.start();
        assertTrue(services.out().contains("console") && services.out().contains("up ("), services.out());
        terok.runWithInput(KEY, "vault", "add", "anthropic").ok();
        upstream = terok.seedUpstream();
        // The agents of AgentTaskEndToEndTest (and the agents module's PodmanBuildTest): their cached L0 and L1 are
        // shared, only this project's L2 (about 1 s) is built; Claude alone would be an L1 of its own, built cold in CI.
        terok.run("project", "init", PROJECT, "--upstream", "file://" + upstream, "--agents", "claude,codex",
                "--agent", "claude", "--base-image", BASE).ok();
    }

    @AfterAll
    static void down() throws Exception {
        if (installation != null) {
            terok.run("rm", "-f", "console-probe");
            terok.deleteProjectAndTasks(PROJECT);
            Cmd.Output down = installation.stop();
            installation.close();
            assertTrue(down.out().contains("console    stopped"), down.out());
        }
        if (model != null) {
            model.close();
        }
    }

    static String host() {
        return "127.0.0.1:" + port;
    }

    static RequestSpecification http() {
        return given().baseUri("http://127.0.0.1").port(port).redirects().follow(false);
    }

    static RequestSpecification session() {
        return http().header("Cookie", cookie);
    }

    static RequestSpecification change() {
        return session().header("X-CSRF-Token", csrf).header("Origin", "http://" + host()).contentType("application/json");
    }

    static String loginUrl() {
        Terok.Result r = terok.run("console").ok();
        Matcher m = Pattern.compile("(http://127\\.0\\.0\\.1:" + port + "/login\\?token=[0-9a-f]{64})").matcher(r.out());
        assertTrue(m.find(), r.out());
        return m.group(1);
    }

    @Test
    @Order(1)
    void theLoginAddressWorksOnceAndGivesAStrictHttpOnlyCookie() {
        String url = loginUrl();
        Response first = http().get(url);
        assertEquals(303, first.statusCode(), first.asString());
        String setCookie = first.header("Set-Cookie");
        assertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"), setCookie);
        cookie = setCookie.substring(0, setCookie.indexOf(';'));
        assertEquals(401, http().get(url).statusCode(), "a used login address must not log in again");
        Response page = session().get("/");
        assertEquals(200, page.statusCode());
        Matcher m = Pattern.compile("<meta name=\"csrf-token\" content=\"([0-9a-f]{64})\">").matcher(page.asString());
        assertTrue(m.find(), page.asString());
        csrf = m.group(1);
        String csp = page.header("Content-Security-Policy");
        assertNotNull(csp);
        assertTrue(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), csp);
        assertEquals("nosniff", page.header("X-Content-Type-Options"));
        assertEquals("no-referrer", page.header("Referrer-Policy"));
    }

    @Test
    @Order(2)
    void requestsWithoutSessionCsrfOrFromElsewhereAreRefused() {
        assertEquals(401, http().get("/").statusCode());
        assertEquals(401, http().get("/api/overview").statusCode());
        assertEquals(401, http().header("Cookie", "terok_console=" + "0".repeat(64)).get("/api/overview").statusCode());
        Map<String, String> body = Map.of("project", PROJECT, "prompt", "nothing");
        assertEquals(403, session().contentType("application/json").body(body).post("/api/tasks").statusCode(), "no CSRF token");
        assertEquals(403, session().header("X-CSRF-Token", "f" + csrf.substring(1)).contentType("application/json")
                .body(body).post("/api/tasks").statusCode(), "wrong CSRF token");
        assertEquals(403, session().header("X-CSRF-Token", csrf).header("Origin", "http://evil.example")
                .contentType("application/json").body(body).post("/api/tasks").statusCode(), "foreign Origin");
        assertEquals(403, session().header("Origin", "http://evil.example").get("/api/overview").statusCode());
        Response rebound = session().header("Host", "evil.example:" + port).get("/api/overview");
        assertEquals(421, rebound.statusCode(), "a foreign Host (DNS rebinding) must be refused");
        assertFalse(rebound.asString().contains("projects"));
        // The panic button: both requests need the CSRF token, and a wrong confirmation engages nothing.
        assertEquals(403, session().contentType("application/json").body("{}").post("/api/panic").statusCode());
        Response ask = change().body("{}").post("/api/panic");
        assertEquals(409, ask.statusCode(), ask.asString());
        assertNotNull(ask.jsonPath().getString("confirm"));
        assertEquals(403, change().body(Map.of("confirm", "0".repeat(32))).post("/api/panic").statusCode());
        ManagedChannel ch = UnixChannels.open(terok.runtimeDir().resolve("runtime.sock"));
        try {
            assertFalse(RuntimeServiceGrpc.newBlockingStub(ch).withDeadlineAfter(15, TimeUnit.SECONDS)
                    .getPanicState(GetPanicStateRequest.getDefaultInstance()).getActive(), "a wrong confirmation must not engage the panic");
        } finally {
            ch.shutdownNow();
        }
        // Bad input names the field and starts nothing.
        Response bad = change().body(Map.of("project", PROJECT, "prompt", "x", "name", "Bad Name!")).post("/api/tasks");
        assertEquals(400, bad.statusCode(), bad.asString());
        assertTrue(bad.jsonPath().getString("error").contains("name"), bad.asString());
    }

    @Test
    @Order(3)
    void aTaskStartedThroughTheApiShowsUpLiveAndItsMarkupStaysText() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<java.io.InputStream> stream = client.send(HttpRequest.newBuilder(URI.create("http://" + host() + "/api/overview/events"))
                .header("Cookie", cookie).header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("data:")) {
                        events.add(line.substring(5));
                    }
                }
            } catch (Exception e) {
                // the stream is closed at the end of the test
            }
        });
        reader.setDaemon(true);
        reader.start();
        String first = events.poll(30, TimeUnit.SECONDS);
        assertNotNull(first, "the overview stream sends the overview at once");
        assertTrue(first.contains("\"" + PROJECT + "\""), first);

        Response started = change().body(Map.of("project", PROJECT, "agent", "claude", "branch", BRANCH,
                "prompt", "Add agent.txt, commit and push it.")).post("/api/tasks");
        assertEquals(202, started.statusCode(), started.asString());
        taskName = started.jsonPath().getString("name");
        assertTrue(taskName.startsWith(PROJECT + "-"), taskName);

        // Pushed without a reload: an event that names the new task.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String seen = null;
        while (seen == null && System.nanoTime() < until) {
            String e = events.poll(1, TimeUnit.SECONDS);
            if (e != null && e.contains(taskName)) {
                seen = e;
            }
        }
        assertNotNull(seen, "the overview stream must announce the started task");
        stream.body().close();

        String state = "";
        until = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (System.nanoTime() < until) {
            state = session().get("/api/tasks/" + PROJECT + "/" + taskName).jsonPath().getString("task.state");
            if (!state.equals("running") && !state.equals("waiting")) {
                break;
            }
            Thread.sleep(1000);
        }
        assertEquals("done", state, session().get("/api/tasks/" + PROJECT + "/" + taskName).asString());

        // The agent's output, streamed: what was kept, then the end.
        Response output = session().header("Accept", "text/event-stream").get("/api/tasks/" + PROJECT + "/" + taskName + "/output");
        assertTrue(output.asString().contains("\"kind\":\"end\""), output.asString());

        // The pages show every piece of agent-chosen text escaped.
        for (String path : new String[] {"/", "/tasks/" + PROJECT + "/" + taskName, "/review/" + PROJECT + "/" + taskName}) {
            String html = session().get(path).then().statusCode(200).extract().asString();
            assertTrue(html.contains("&lt;script&gt;alert(3)&lt;/script&gt;&lt;img-src=x-onerror=alert(4)&gt;"), path + ":\n" + html);
            assertFalse(html.contains("<script>alert"), path);
            assertFalse(html.contains("<img-src"), path);
        }
        String review = session().get("/review/" + PROJECT + "/" + taskName).asString();
        assertTrue(review.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"), review);
        assertFalse(review.contains("<img src"), review);
        Matcher m = Pattern.compile("<code id=\"reviewed-commit\">([0-9a-f]{40})</code>").matcher(review);
        assertTrue(m.find(), review);
        reviewedCommit = m.group(1);
        assertEquals(reviewedCommit, session().get("/api/tasks/" + PROJECT + "/" + taskName + "/review").jsonPath().getString("commit"));
    }

    @Test
    @Order(4)
    void forwardIsPinnedToTheCommitTheReviewShowed() throws Exception {
        assertNotNull(reviewedCommit, "needs the review of the previous step");
        // The task pushes again after the review: its branch moves in the gate.
        Path late = terok.home.resolve("late");
        Path gate = terok.home.resolve("data/gate/" + PROJECT + ".git");
        terok.git(terok.home, "clone", "-q", "-b", BRANCH, gate.toString(), late.toString());
        Files.writeString(late.resolve("late.txt"), "pushed after the review\n");
        terok.git(late, "add", "late.txt");
        terok.git(late, "commit", "-q", "-m", "unreviewed");
        terok.git(late, "push", "-q", "origin", "HEAD:refs/heads/" + BRANCH);
        String moved = terok.git(late, "rev-parse", "HEAD");
        assertNotEquals(reviewedCommit, moved);

        Response stale = change().body(Map.of("commit", reviewedCommit)).post("/api/tasks/" + PROJECT + "/" + taskName + "/forward");
        assertEquals(409, stale.statusCode(), stale.asString());
        assertTrue(terok.git(upstream, "for-each-ref", "--format=%(refname)", "refs/heads/terok").isEmpty(),
                "nothing may reach upstream when the branch moved since the review");

        String shown = session().get("/api/tasks/" + PROJECT + "/" + taskName + "/review").jsonPath().getString("commit");
        assertEquals(moved, shown);
        Response ok = change().body(Map.of("commit", shown)).post("/api/tasks/" + PROJECT + "/" + taskName + "/forward");
        assertEquals(200, ok.statusCode(), ok.asString());
        assertEquals(shown, terok.git(upstream, "rev-parse", "refs/heads/" + BRANCH));
        assertEquals(400, change().body(Map.of("commit", "HEAD")).post("/api/tasks/" + PROJECT + "/" + taskName + "/forward").statusCode());
    }

    @Test
    @Order(5)
    void aTaskContainerCannotUseTheConsole() {
        // No firewall at all (--no-shield): the host's loopback is reachable at slirp4netns' 10.0.2.2.
        terok.run("run", "-d", "--name", "console-probe", "--no-shield", "--network", "filtered", BASE, "sleep", "300").ok();
        String url = "http://10.0.2.2:" + port + "/api/overview";
        String asItself = terok.run("exec", "console-probe", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "5", url).out().trim();
        String forgedHost = terok.run("exec", "console-probe", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "5", "-H", "Host: 127.0.0.1:" + port, url).out().trim();
        String forgedCookie = terok.run("exec", "console-probe", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "5", "-H", "Host: 127.0.0.1:" + port, "-H", "Cookie: terok_console=" + "1".repeat(64), url).out().trim();
        assertTrue(asItself.equals("421") || asItself.equals("000"), "from a task, under its own name: " + asItself);
        assertTrue(forgedHost.equals("401") || forgedHost.equals("000"), "from a task, with a forged Host: " + forgedHost);
        assertTrue(forgedCookie.equals("401") || forgedCookie.equals("000"), "from a task, with a guessed cookie: " + forgedCookie);
        terok.run("rm", "-f", "console-probe");
    }

    @Test
    @Order(6)
    void stopAndDeleteThroughTheApi() throws Exception {
        assertNotNull(taskName);
        // A second task whose model never answers: it keeps running until stopped.
        Response started = change().body(Map.of("project", PROJECT, "prompt", "Wait for an answer.")).post("/api/tasks");
        assertEquals(202, started.statusCode(), started.asString());
        String waiting = started.jsonPath().getString("name");
        String state = "";
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < until && !state.equals("running")) {
            Response r = session().get("/api/tasks/" + PROJECT + "/" + waiting);
            state = r.statusCode() == 200 ? r.jsonPath().getString("task.state") : "";
            Thread.sleep(500);
        }
        assertEquals("running", state);
        Response stopped = change().post("/api/tasks/" + PROJECT + "/" + waiting + "/stop");
        assertEquals(200, stopped.statusCode(), stopped.asString());
        assertEquals("stopped", stopped.jsonPath().getString("state"), stopped.asString());
        assertEquals("stopped", session().get("/api/tasks/" + PROJECT + "/" + waiting).jsonPath().getString("task.state"));

        for (String name : new String[] {waiting, taskName}) {
            Response deleted = change().delete("/api/tasks/" + PROJECT + "/" + name);
            assertEquals(200, deleted.statusCode(), deleted.asString());
            assertEquals(404, session().get("/api/tasks/" + PROJECT + "/" + name).statusCode());
            assertFalse(session().get("/api/overview").asString().contains(name));
        }
        // Without purge the reviewed branch stays in the gate.
        assertFalse(terok.git(terok.home.resolve("data/gate/" + PROJECT + ".git"), "for-each-ref", "refs/heads/terok").isEmpty());
    }
}
