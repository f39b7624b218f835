package io.terok.vault;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.terok.api.v1.MintTaskTokensResponse;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 3, played as the attack: a task given {@code --provider github} (or gitlab) tries to write code
 * upstream through the REST API with the gate's token. The shipped route rules refuse every such write with 403
 * naming the rule, before the credential is attached, so the mock provider never sees the request; reading and
 * comments still reach it with the real key. (Against the code before the rules every write here got 200 from the
 * mock with the real key attached.)
 */
@QuarkusTest
@QuarkusTestResource(MockUpstreams.class)
class BrokerRouteRulesTest {
    static VaultApi api;

    @BeforeEach
    void credentials() {
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

    private static void refused(RequestSpecification r, String method, String path, String provider, String rule) {
        int before = MockUpstreams.COUNT.get(provider).get();
        Response resp = r.request(method, path);
        assertEquals(403, resp.statusCode(), method + " " + path + ": " + resp.asString());
        JsonObject j = new JsonObject(resp.asString());
        assertEquals("denied_by_rule", j.getString("error"), resp.asString());
        assertEquals(rule, j.getString("rule"), resp.asString());
        assertTrue(j.getString("message").contains(rule), resp.asString());
        assertEquals(before, MockUpstreams.COUNT.get(provider).get(), "the provider never saw " + method + " " + path);
    }

    private static void through(RequestSpecification r, String method, String path, String provider, String header, String value) {
        int before = MockUpstreams.COUNT.get(provider).get();
        Response resp = r.request(method, path);
        assertEquals(200, resp.statusCode(), method + " " + path + ": " + resp.asString());
        assertEquals(before + 1, MockUpstreams.COUNT.get(provider).get());
        var got = BrokerTest.last(provider);
        assertEquals(value, got.get(header), "the real key went with " + method + " " + path);
    }

    @Test
    void githubWritesToContentsRefsMergesAndReleasesGet403NamingTheRuleAndNeverReachTheProvider() throws Exception {
        MintTaskTokensResponse m = api.mint(TaskIds.of("task-rules-gh"), "github");
        String t = m.getEnvOrThrow("GH_TOKEN");
        java.util.function.Supplier<RequestSpecification> gh = () -> given().urlEncodingEnabled(false).header("Authorization", "token " + t)
                .contentType("application/json").body("{\"message\":\"x\",\"content\":\"aGk=\",\"sha\":\"0\"}");
        refused(gh.get(), "PUT", "/repos/o/r/contents/README.md", "github", "contents");
        refused(gh.get(), "PATCH", "/repos/o/r/git/refs/heads/main", "github", "git-data");
        refused(gh.get(), "POST", "/repos/o/r/git/commits", "github", "git-data");
        refused(gh.get(), "PUT", "/repos/o/r/pulls/1/merge", "github", "pr-merge");
        refused(gh.get(), "POST", "/repos/o/r/merges", "github", "merges");
        refused(gh.get(), "POST", "/repos/o/r/releases", "github", "releases");
        // The same writes re-spelled: escapes, case, empty and "." segments, a trailing slash.
        refused(gh.get(), "PUT", "/repos/o/r/cont%65nts/README.md", "github", "contents");
        refused(gh.get(), "PUT", "/REPOS/o/r/Contents/README.md", "github", "contents");
        refused(gh.get(), "PATCH", "/repos/o/r//git/./refs/heads/main/", "github", "git-data");
        refused(gh.get(), "put", "/repos/o/r/contents/README.md", "github", "contents");
        // A GET that a framework would read as a PUT, and writes no rule names (GraphQL mutations, repo settings).
        refused(gh.get().header("X-HTTP-Method-Override", "PUT"), "GET", "/repos/o/r/contents/README.md", "github", "method-override");
        refused(gh.get(), "POST", "/repos/o/r/pulls/1?_method=PUT", "github", "method-override");
        refused(gh.get(), "POST", "/graphql", "github", "default-deny");
        refused(gh.get(), "PATCH", "/repos/o/r", "github", "default-deny");
        refused(gh.get(), "DELETE", "/repos/o/r/git/refs/tags/v1", "github", "git-data");

        String key = "token " + VaultApi.realKey("github");
        through(given().header("Authorization", "token " + t), "GET", "/repos/o/r", "github", "authorization", key);
        through(given().header("Authorization", "token " + t), "GET", "/repos/o/r/contents/README.md", "github", "authorization", key);
        through(gh.get(), "POST", "/repos/o/r/issues/7/comments", "github", "authorization", key);
        through(gh.get(), "POST", "/repos/o/r/pulls/7/comments", "github", "authorization", key);

        // Audited: one line per refusal, naming the rule; never the key.
        Path file = MockUpstreams.dataDir.resolve("vault/audit.jsonl");
        String content = "";
        for (int i = 0; i < 100 && !content.contains("/repos/o/r/issues/7/comments"); i++) {
            Thread.sleep(50);
            content = Files.exists(file) ? Files.readString(file) : "";
        }
        JsonObject line = content.lines().map(JsonObject::new)
                .filter(j -> j.getString("task").equals(TaskIds.of("task-rules-gh")) && j.getString("path").equals("/repos/o/r/releases"))
                .findFirst().orElseThrow(() -> new AssertionError("no audit line for the refused release"));
        assertEquals("denied_by_rule:releases", line.getString("outcome"));
        assertEquals(403, line.getInteger("status"));
        assertEquals("POST", line.getString("method"));
        assertTrue(!content.contains(VaultApi.realKey("github")) && !content.contains(t));
    }

    @Test
    void gitlabRepositoryWritesAndMergesAreRefusedWhileReadingAndNotesGoThrough() {
        String t = api.mint(TaskIds.of("task-rules-gl"), "gitlab").getEnvOrThrow("GITLAB_TOKEN");
        java.util.function.Supplier<RequestSpecification> gl = () -> given().header("Private-Token", t)
                .contentType("application/json").body("{\"body\":\"x\"}");
        // The mock's route has base path /api, as gitlab.com's API lives under /api/v4: rules see the upstream path.
        refused(gl.get(), "PUT", "/v4/projects/1/repository/files/README.md", "gitlab", "repository");
        refused(gl.get(), "POST", "/v4/projects/1/repository/commits", "gitlab", "repository");
        refused(gl.get(), "PUT", "/v4/projects/1/merge_requests/3/merge", "gitlab", "merges");
        refused(gl.get(), "POST", "/v4/projects/1/releases", "gitlab", "releases");
        refused(gl.get(), "POST", "/graphql", "gitlab", "default-deny");
        String key = VaultApi.realKey("gitlab");
        through(given().header("Private-Token", t), "GET", "/v4/projects/1/repository/files/README.md", "gitlab", "private-token", key);
        through(gl.get(), "POST", "/v4/projects/1/issues/2/notes", "gitlab", "private-token", key);
        through(gl.get(), "POST", "/v4/projects/1/merge_requests/3/notes", "gitlab", "private-token", key);
    }

    @Test
    void aRouteWithoutRulesStillForwardsEveryMethod() {
        String t = api.mint(TaskIds.of("task-rules-none"), "anthropic").getEnvOrThrow("ANTHROPIC_API_KEY");
        through(given().header("x-api-key", t).body("{}"), "PUT", "/v1/anything", "anthropic", "x-api-key", VaultApi.realKey("anthropic"));
    }
}
