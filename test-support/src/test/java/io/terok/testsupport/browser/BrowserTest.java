package io.terok.testsupport.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriverException;

/** The harness drives a real headless Chromium: scripts run, clicks reach the page, names outside loopback fail. */
class BrowserTest {
    private static HttpServer server;
    private static Browser browser;
    private static final AtomicInteger clicks = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", x -> {
            byte[] page = """
                    <!doctype html><html><body>
                    <p id="out">static</p>
                    <button id="b" onclick="fetch('/click', {method: 'POST'}).then(r => r.text())
                        .then(t => document.getElementById('out').textContent = 'server says ' + t)">go</button>
                    <script>document.getElementById('out').textContent = 'script ran';</script>
                    </body></html>""".getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            x.sendResponseHeaders(200, page.length);
            x.getResponseBody().write(page);
            x.close();
        });
        server.createContext("/click", x -> {
            byte[] body = String.valueOf(clicks.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        browser = Browser.start();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        server.stop(0);
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Test
    void runsThePagesScriptAndItsClicksReachTheServer(@TempDir Path dir) throws Exception {
        browser.open(url("/"));
        browser.awaitText(Duration.ofSeconds(10), "#out", "script ran");
        browser.driver().findElement(By.id("b")).click();
        browser.awaitText(Duration.ofSeconds(10), "#out", "server says 1");
        assertEquals(1, clicks.get());
        assertFalse(browser.alertOpen());
        Path png = dir.resolve("shot.png");
        browser.screenshot(png);
        byte[] head = Files.readAllBytes(png);
        assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', "a PNG screenshot");
    }

    @Test
    void reachesNothingButLoopback() {
        // the host resolver rules map every other name and address to "not found": the browser never asks the
        // machine's DNS nor connects anywhere else
        for (String url : new String[] {"http://terok-console.example/", "http://198.18.0.1/"}) {
            WebDriverException e = assertThrows(WebDriverException.class, () -> browser.open(url));
            assertTrue(e.getMessage().contains("ERR_NAME_NOT_RESOLVED"), e.getMessage());
        }
    }
}
