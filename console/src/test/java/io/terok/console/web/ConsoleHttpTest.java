package io.terok.console.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.terok.common.console.ConsoleLoginTokens;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The guard wired into the real HTTP server (no services running: the pages say so and still work): login, the
 * cookie, headers, CSRF, Host and Origin, and bad input refused before any service is called. The same rules
 * against the real services are in e2e's ConsoleEndToEndTest.
 */
@QuarkusTest
class ConsoleHttpTest {
    static String login() {
        Path runtime = Path.of(ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class));
        String token = new ConsoleLoginTokens(runtime).mint();
        Response r = given().redirects().follow(false).get("/login?token=" + token);
        assertEquals(303, r.statusCode(), r.asString());
        String cookie = r.header("Set-Cookie");
        return cookie.substring(0, cookie.indexOf(';'));
    }

    static String csrf(String cookie) {
        String html = given().header("Cookie", cookie).get("/").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("name=\"csrf-token\" content=\"([0-9a-f]{64})\"").matcher(html);
        assertTrue(m.find(), html);
        return m.group(1);
    }

    @Test
    void pagesNeedTheSessionAndCarryTheSecurityHeaders() {
        given().get("/").then().statusCode(401)
                .header("Content-Security-Policy", containsString("script-src 'self'"))
                .header("X-Content-Type-Options", "nosniff").header("Referrer-Policy", "no-referrer");
        given().get("/static/console.js").then().statusCode(200).header("Content-Security-Policy", containsString("frame-ancestors 'none'"));
        given().get("/webjars/xterm/4.9.0/lib/xterm.js").then().statusCode(401);
        String cookie = login();
        // the terminal's emulator, from its WebJar (no CDN), under the same headers
        given().header("Cookie", cookie).get("/webjars/xterm/4.9.0/lib/xterm.js").then().statusCode(200)
                .header("Content-Security-Policy", containsString("script-src 'self'"));
        given().header("Cookie", cookie).get("/webjars/xterm-addon-fit/0.3.0/lib/xterm-addon-fit.js").then().statusCode(200);
        given().header("Cookie", cookie).get("/").then().statusCode(200)
                .body(containsString("a terok service is not running"));
        given().header("Cookie", cookie).header("Host", "evil.example:" + RestAssured.port).get("/api/overview").then().statusCode(421);
        given().header("Cookie", cookie).header("Origin", "http://evil.example").get("/api/overview").then().statusCode(403);
    }

    @Test
    void changesNeedTheCsrfTokenAndBadInputNamesTheField() {
        String cookie = login();
        String csrf = csrf(cookie);
        Map<String, String> body = Map.of("project", "demo", "prompt", "x", "name", "Bad Name");
        given().header("Cookie", cookie).contentType("application/json").body(body).post("/api/tasks").then().statusCode(403);
        given().header("Cookie", cookie).header("X-CSRF-Token", csrf.replace(csrf.charAt(0), csrf.charAt(0) == 'a' ? 'b' : 'a'))
                .contentType("application/json").body(body).post("/api/tasks").then().statusCode(403);
        given().header("Cookie", cookie).header("X-CSRF-Token", csrf).contentType("application/json").body(body)
                .post("/api/tasks").then().statusCode(400).body(containsString("name"));
        given().header("Cookie", cookie).header("X-CSRF-Token", csrf).contentType("application/json")
                .body(Map.of("commit", "not-a-commit")).post("/api/tasks/demo/t/forward").then().statusCode(400)
                .body(containsString("commit"));
        given().header("Cookie", cookie).header("X-CSRF-Token", csrf).post("/logout").then().statusCode(204);
        given().header("Cookie", cookie).get("/").then().statusCode(401);
    }
}
