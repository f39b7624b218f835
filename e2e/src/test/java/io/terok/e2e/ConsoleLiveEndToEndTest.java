package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.scriptedmodel.Script;
import io.terok.scriptedmodel.ScriptedModelServer;
import io.terok.scriptedmodel.Step;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivateInstallation;
import io.terok.testsupport.PrivatePodman;
import io.terok.testsupport.browser.Browser;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The console's live parts in a real browser (headless Chromium) against the real services, a real agent task
 * (Claude Code against the scripted model through the broker) and its real firewall: the agent's output appears while
 * the page is open; a connection the task tries shows up as a pending prompt; clicking Allow lets the task's next
 * connection through (checked from inside the task); the task's timeline shows block → prompt → verdict → first
 * packet through, linked; the terminal is the task's terminal (keys typed reach its shell, a resize is seen, Ctrl-C
 * interrupts, the exit code is shown, Close ends the shell and Detach leaves it); markup the task controls (a domain it looked up,
 * the agent's answer, the shell's output) stays text. Services and console (through bin/terok: `terok services up`,
 * `terok console`), browser and the project's image are set up once for the class.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleLiveEndToEndTest {
    /** This class's own project ({@link Terok#projectName}): its L2 image is its own to build and remove. */
    static final String PROJECT = Terok.projectName("consolelive");
    static final String BASE = "localhost/terok-agent-base:bookworm";
    static final String HOSTILE = "<svg/onload=alert(1)>";
    static final String ANSWER = "<img src=x onerror=alert(2)><script>alert(3)</script>console-live-answer";
    /**
     * Where the screenshots go: docs/ when asked for (TEROK_DOCS_SCREENSHOTS=1, to refresh docs/console.md's
     * pictures), else the build directory, so a test run never rewrites tracked files.
     */
    static final Path DOCS = "1".equals(System.getenv("TEROK_DOCS_SCREENSHOTS"))
            ? Terok.REPO.resolve("docs") : Terok.REPO.resolve("e2e/target/screenshots");
    static Terok terok;
    static PrivateInstallation installation;
    static PrivatePodman podman;
    static FakeInternet internet;
    static ScriptedModelServer model;
    static int consolePort;
    static Browser browser;
    static String task;
    static CompletableFuture<Terok.Result> run;

    @BeforeAll
    static void up() throws Exception {
        // The agent waits a little before it answers, so the page is open while it runs.
        model = ScriptedModelServer.start(Script.of(Step.shell("sleep 4; echo agent-worked"), Step.text(ANSWER)));
        installation = Terok.install("console-live",
                FakeInternet.spec("tcl").addresses(2, 5).addresses(11, 10 + Math.max(ROUNDS, 2)).name("evil.test", 5))
                .withStagedAgents();
        terok = new Terok(installation);
        internet = installation.internet();
        podman = installation.podman();
        installation.configWithVault("e2e-console-live-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: " + model.baseUrl(),
                "git:",
                "  human_name: Console Tester",
                "  human_email: console@example.com");
        installation.start();
        terok.runWithInput("sk-ant-REAL-console-live", "vault", "add", "anthropic").ok();
        Path upstream = terok.seedUpstream();
        // The agents of AgentTaskEndToEndTest (and the agents module's PodmanBuildTest): their cached L0 and L1 are
        // shared, only this project's L2 (about 1 s) is built; Claude alone would be an L1 of its own, built cold in CI.
        terok.run("project", "init", PROJECT, "--upstream", "file://" + upstream, "--agents", "claude,codex",
                "--agent", "claude", "--base-image", BASE).ok();
        // `terok services up` started the console too; `terok console` prints the one-time login address
        consolePort = Integer.parseInt(terok.env.get("TEROK_CONSOLE_PORT"));
        java.util.regex.Matcher login = java.util.regex.Pattern.compile("(http://127\\.0\\.0\\.1:" + consolePort
                + "/login\\?token=[0-9a-f]{64})").matcher(terok.run("console").ok().out());
        assertTrue(login.find(), "terok console prints the login address");
        idleRssKb = rssKb();
        browser = Browser.start();
        browser.open(login.group(1));
        browser.awaitText(Duration.ofSeconds(20), "#clearance h2", "Waiting for your answer");
    }

    static String base() {
        return "http://127.0.0.1:" + consolePort;
    }

    @AfterAll
    static void down() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (installation != null) {
            if (run != null) {
                run.orTimeout(120, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
            terok.deleteProjectAndTasks(PROJECT);
        }
        for (AutoCloseable c : new AutoCloseable[] {installation, model}) {
            if (c != null) {
                c.close();
            }
        }
    }

    static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser.driver()).executeScript(script, args);
    }

    /** No dialog opened and no element of the injected kinds exists in the page: the markup stayed text. */
    static void nothingInjected(String where) {
        assertFalse(browser.alertOpen(), where + ": a script ran (an alert is open)");
        assertEquals(0L, js("return document.querySelectorAll("
                        + "'main svg, main img, main [onload], main [onerror], main script:not([src^=\"/static/\"]):not([src^=\"/webjars/\"])').length;"),
                where + ": markup from the task became elements");
    }

    boolean reaches(String url) {
        return terok.run("exec", task, "curl", "-sS", "-m", "3", "-o", "/dev/null", url).exitCode() == 0;
    }

    @Test
    @Order(1)
    void theAgentsOutputAppearsWhileThePageIsOpen() throws Exception {
        run = CompletableFuture.supplyAsync(() -> terok.run("task", "run", PROJECT, "Do the work."));
        // the task's page as soon as the task exists, while the agent still works
        for (int i = 0; i < 600 && task == null; i++) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("terok/([0-9a-f]{32})")
                    .matcher(terok.run("task", "list").out());
            if (m.find()) {
                task = m.group(1);
            }
            if (task == null) {
                Thread.sleep(200);
            }
        }
        assertNotNull(task, "the task is listed");
        // its agent is running (the output stream of a task still being launched ends at once)
        java.util.regex.Pattern agentRunning = java.util.regex.Pattern.compile("running\\s+terok/" + task);
        for (int i = 0; i < 300 && !agentRunning.matcher(terok.run("task", "list").out()).find(); i++) {
            Thread.sleep(100);
        }
        browser.open(base() + "/tasks/" + PROJECT + "/" + task);
        browser.awaitText(Duration.ofSeconds(20), "h2", "Timeline");
        assertFalse(run.isDone(), "the page is open while the agent runs");
        WebElement out;
        try {
            out = browser.awaitText(Duration.ofSeconds(90), "#output", "console-live-answer");
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("the answer did not appear; the page shows: "
                    + browser.driver().findElement(By.id("output")).getAttribute("textContent")
                    + "\nthe output stream now: " + js("const c = new AbortController(); setTimeout(() => c.abort(), 3000);"
                    + " return fetch(arguments[0], {signal: c.signal}).then(r => r.status + ' ' + r.headers.get('content-type'))"
                    + ".catch(x => String(x));", "/api/tasks/" + PROJECT + "/" + task + "/output")
                    + "\nterok task logs: " + terok.run("task", "logs", PROJECT, task).out(), e);
        }
        assertTrue(out.getText().contains(ANSWER), "the agent's markup is shown as its text: " + out.getText());
        nothingInjected("output");
        Terok.Result r = run.get(120, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.out() + r.err());
    }

    @Test
    @Order(2)
    void aBlockedConnectionIsAskedAboutAllowLetsTheNextThroughAndTheTimelineLinksItAll() throws Exception {
        String ip = internet.ip(5);
        // The task looks up a name that is markup (the fake internet answers every *.evil.test), then connects to
        // its address: the firewall's domain for the block is that name.
        // (a raw DNS query to the task's resolver: the C library would refuse to ask for such a name)
        terok.run("exec", task, "python3", "-c", String.join("\n",
                "import socket, struct",
                "ns = [l.split()[1] for l in open('/etc/resolv.conf') if l.startswith('nameserver')][0]",
                "name = '" + HOSTILE + ".evil.test'",
                "q = struct.pack('>HHHHHH', 4242, 0x0100, 1, 0, 0, 0) + b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\\0' + struct.pack('>HH', 1, 1)",
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); s.sendto(q, (ns, 53)); s.recv(512)")).ok();
        browser.open(base() + "/");
        browser.awaitText(Duration.ofSeconds(20), "#clearance h2", "Waiting for your answer");
        js("window.__seen = null; new MutationObserver(() => { if (!window.__seen && document.querySelector("
                + "'#clearance tr.prompt')) window.__seen = Date.now(); }).observe(document.getElementById('clearance-rows'),"
                + " {childList: true, subtree: true});");
        assertFalse(reaches("http://" + ip + "/"), "not allowed yet: refused");
        WebElement row = browser.awaitText(Duration.ofSeconds(20), "#clearance tr.prompt", ip + ":80/tcp");
        long seenAt = ((Number) js("return window.__seen;")).longValue();
        assertTrue(row.getText().contains(HOSTILE + ".evil.test"), "the domain the task looked up, as text: " + row.getText());
        nothingInjected("clearance");
        browser.screenshot(DOCS.resolve("console-clearance.png"));

        // The task retries in a tight loop (running before the click); the operator clicks Allow.
        AllowRound first = allow(row, ip);
        assertTrue(reaches("http://" + ip + "/"), "checked from inside the task: the next connection goes through");
        assertFalse(reaches("http://" + ip + ":81/"), "the prompt was for port 80 only");
        browser.await(Duration.ofSeconds(20), d -> d.findElements(By.cssSelector("#clearance tr.prompt")).stream()
                .noneMatch(e -> e.getText().contains(ip + ":80/tcp")));

        // The task's timeline: block -> prompt -> verdict -> first packet through, each effect naming its cause.
        browser.open(base() + "/tasks/" + PROJECT + "/" + task);
        WebElement passed = browser.awaitText(Duration.ofSeconds(20), "#timeline-items li[data-kind=PASSED]", ip + ":80/tcp");
        assertTrue(passed.getText().contains("after verdict"), passed.getText());
        WebElement verdict = browser.awaitText(Duration.ofSeconds(20), "#timeline-items li[data-kind=VERDICT]", "allowed by the operator");
        assertTrue(verdict.getText().contains("after asked"), verdict.getText());
        WebElement prompt = browser.awaitText(Duration.ofSeconds(20), "#timeline-items li[data-kind=PROMPT]", ip + ":80/tcp");
        assertTrue(prompt.getText().contains("after blocked"), prompt.getText());
        assertTrue(prompt.getText().contains(HOSTILE), "the hostile domain, as text: " + prompt.getText());
        List<String> kinds = browser.driver().findElements(By.cssSelector("#timeline-items li")).stream()
                .map(e -> e.getAttribute("data-kind")).toList();
        int b = kinds.indexOf("BLOCKED");
        int p = kinds.indexOf("PROMPT");
        int v = kinds.indexOf("VERDICT");
        int t = kinds.indexOf("PASSED");
        assertTrue(b >= 0 && b < p && p < v && v < t, "in order: " + kinds);
        assertTrue(kinds.contains("RELAYED"), "the agent's provider calls through the broker are on it too: " + kinds);
        nothingInjected("timeline");
        js("document.querySelector('#timeline-items li[data-kind=PASSED]').scrollIntoView({block: 'center'});");
        browser.screenshot(DOCS.resolve("console-timeline.png"));

        // For docs/benchmarks.md: shield's stamp of the block and of the first packet through, against the page.
        Instant blockedAt = Instant.parse(browser.driver().findElement(
                By.cssSelector("#timeline-items li[data-kind=BLOCKED] .time")).getAttribute("title"));
        Instant passedAt = Instant.parse(passed.findElement(By.cssSelector(".time")).getAttribute("title"));
        System.out.printf("[bench] blocked packet -> prompt visible in the open page: %d ms%n",
                seenAt - blockedAt.toEpochMilli());
        System.out.printf("[bench] click on Allow -> first packet through (shield's stamp): %d ms%n",
                passedAt.toEpochMilli() - first.clickedAt());
        System.out.println("[bench] round 1: " + first);
        // More rounds for the benchmark (bench/run-console sets TEROK_CONSOLE_BENCH_ROUNDS), each to a fresh address.
        List<AllowRound> rounds = new java.util.ArrayList<>(List.of(first));
        browser.open(base() + "/");
        browser.awaitText(Duration.ofSeconds(20), "#clearance h2", "Waiting for your answer");
        for (int i = 1; i < ROUNDS; i++) {
            String next = internet.ip(10 + i);
            assertFalse(reaches("http://" + next + "/"), "not allowed yet: refused");
            rounds.add(allow(browser.awaitText(Duration.ofSeconds(20), "#clearance tr.prompt", next + ":80/tcp"), next));
            System.out.println("[bench] round " + (i + 1) + ": " + rounds.get(i));
        }
        if (rounds.size() > 1) {
            System.out.println("[bench] " + rounds.size() + " rounds, median/min/max ms:");
            for (var f : List.<java.util.Map.Entry<String, java.util.function.ToLongFunction<AllowRound>>>of(
                    java.util.Map.entry("click -> task's first connection", AllowRound::clickToConnected),
                    java.util.Map.entry("click -> the page's request starts", AllowRound::clickToRequest),
                    java.util.Map.entry("the page's click event -> its request starts", AllowRound::pageClickToRequest),
                    java.util.Map.entry("the page's request (send to last byte)", AllowRound::request),
                    java.util.Map.entry("click -> the answer shown", AllowRound::clickToAnswer))) {
                long[] ms = rounds.stream().mapToLong(f.getValue()).sorted().toArray();
                System.out.printf("[bench]   %s: %d / %d / %d%n", f.getKey(), ms[ms.length / 2], ms[0], ms[ms.length - 1]);
            }
        }
        System.out.printf("[bench] console RSS idle (started, no page served): %d MiB%n", idleRssKb / 1024);
        System.out.printf("[bench] console RSS with two pages served: %d MiB%n", rssKb() / 1024);
    }
    /** Rounds of Allow the test times (1 unless bench/run-console asks for more). */
    static final int ROUNDS = Integer.parseInt(System.getenv().getOrDefault("TEROK_CONSOLE_BENCH_ROUNDS", "1"));
    static long idleRssKb;

    static long rssKb() throws java.io.IOException {
        String consolePid = Files.readString(terok.runtimeDir().resolve("pids/console.pid")).strip();
        return Files.readAllLines(Path.of("/proc/" + consolePid + "/status")).stream()
                .filter(l -> l.startsWith("VmRSS:")).map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1L);
    }

    /**
     * One Allow, timed (ms, this host's CLOCK_REALTIME everywhere: the page's Date.now(), the task's date): from the
     * click (just before WebDriver's click command) to the task's first successful connection, to the page's verdict
     * request starting (also from the click event in the page, without WebDriver's share), that request's own duration,
     * to the answer shown; and the console's stages from its Server-Timing header.
     */
    record AllowRound(long clickedAt, long clickToConnected, long clickToRequest, long pageClickToRequest, long request,
            long clickToAnswer, String serverTiming) {
        @Override
        public String toString() {
            return String.format("click -> first connection %d ms; click -> request sent %d ms (from the page's click event %d ms);"
                    + " request %d ms (console: %s); click -> answer shown %d ms", clickToConnected, clickToRequest,
                    pageClickToRequest, request, serverTiming, clickToAnswer);
        }
    }

    /** Starts the task's retry loop, waits until it runs, clicks Allow on {@code row}, and times the round. */
    static AllowRound allow(WebElement row, String ip) throws Exception {
        // the loop marks that it runs in a file (terok exec hands its output over only at the end)
        String marker = "/tmp/retrying-" + ip;
        Process retry = new ProcessBuilder(terok.commandLine("exec", task, "sh", "-c", "touch " + marker
                + "; until curl -s -m 1 -o /dev/null http://" + ip + "/; do sleep 0.02; done; echo through $(date +%s%N)"))
                .redirectErrorStream(true).start();
        for (int i = 0; terok.run("exec", task, "test", "-e", marker).exitCode() != 0; i++) {
            assertTrue(i < 30 && retry.isAlive(), "the task's retry loop did not start");
            Thread.sleep(200);
        }
        Thread.sleep(300);
        js("window.__answered = null; new MutationObserver(() => { if (!window.__answered) window.__answered = Date.now(); })"
                + ".observe(document.getElementById('clearance-result'), {childList: true, characterData: true, subtree: true});"
                + " performance.clearResourceTimings(); window.__clickAt = null; if (!window.__clickHook) { window.__clickHook = true;"
                + " document.addEventListener('click', () => { if (!window.__clickAt) window.__clickAt = performance.timeOrigin"
                + " + performance.now(); }, true); }");
        long clickedAt = ((Number) js("return Date.now();")).longValue();
        row.findElement(By.cssSelector("button.allow")).click();
        browser.awaitText(Duration.ofSeconds(20), "#clearance-result", "Allowed " + ip + ":80/tcp");
        long answeredAt = ((Number) js("return window.__answered;")).longValue();
        assertTrue(retry.waitFor(30, TimeUnit.SECONDS), "the task's retry loop got through");
        String output = new String(retry.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        java.util.regex.Matcher through = java.util.regex.Pattern.compile("through (\\d+)").matcher(output);
        assertTrue(through.find(), "the loop's output: " + output);
        long connectedAt = Long.parseLong(through.group(1)) / 1_000_000;
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> req = (java.util.Map<String, Object>) js("const e = performance.getEntriesByType('resource')"
                + ".filter(x => x.name.endsWith('/api/clearance/verdict')).pop();"
                + " return {start: performance.timeOrigin + e.startTime, dur: e.responseEnd - e.startTime, clicked: window.__clickAt,"
                + " timing: e.serverTiming.map(t => t.name + '=' + t.duration.toFixed(1)).join(' ')};");
        long start = Math.round(((Number) req.get("start")).doubleValue());
        long pageClick = Math.round(((Number) req.get("clicked")).doubleValue());
        return new AllowRound(clickedAt, connectedAt - clickedAt, start - clickedAt, start - pageClick,
                Math.round(((Number) req.get("dur")).doubleValue()), answeredAt - clickedAt, String.valueOf(req.get("timing")));
    }

    /** What the page's terminal shows, line by line (xterm draws on a canvas: its buffer is the text). */
    static String terminalText() {
        return (String) js("const b = window.terokTerminal.buffer.active; const out = [];"
                + " for (let i = 0; i < b.length; i++) out.push(b.getLine(i).translateToString(true)); return out.join('\\n');");
    }

    static String awaitTerminal(String text) {
        try {
            return browser.await(Duration.ofSeconds(20), d -> terminalText().contains(text) ? terminalText() : null);
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("the terminal never showed " + text + "; it shows:\n" + terminalText(), e);
        }
    }

    /** Keys typed into xterm (its hidden textarea has the focus in a real page too). */
    static void type(CharSequence... keys) {
        browser.driver().findElement(By.cssSelector("#terminal .xterm-helper-textarea")).sendKeys(keys);
    }

    static long cols() {
        return ((Number) js("return window.terokTerminal.cols;")).longValue();
    }

    static long rows() {
        return ((Number) js("return window.terokTerminal.rows;")).longValue();
    }

    static void openShell() {
        browser.await(Duration.ofSeconds(20), d -> d.findElement(By.id("terminal-open")).isDisplayed());
        browser.driver().findElement(By.id("terminal-open")).click();
        browser.await(Duration.ofSeconds(20), d -> d.findElement(By.id("terminal")).getAttribute("class").contains("open"));
    }

    /** The process id of the shell in the page's terminal, as the shell says. */
    static String shellPid() {
        type("echo \"pid=$$\"", Keys.ENTER);
        java.util.regex.Pattern pid = java.util.regex.Pattern.compile("pid=(\\d+)");
        return browser.await(Duration.ofSeconds(20), d -> {
            java.util.regex.Matcher m = pid.matcher(terminalText());
            return m.find() ? m.group(1) : null;
        });
    }

    /** Whether a process of that pid lives in the task. */
    boolean alive(String pid) {
        return terok.run("exec", task, "test", "-d", "/proc/" + pid).exitCode() == 0;
    }

    @Test
    @Order(3)
    void theTerminalIsTheTasksTerminalKeysResizeCtrlCAndTheExitCode() throws Exception {
        browser.driver().manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
        browser.open(base() + "/tasks/" + PROJECT + "/" + task);
        openShell();
        // typing reaches the task's shell, on a TTY of the page's size, as the task's user; its answer is shown
        type("echo \"$((6*7))-from-$(hostname)\"; id -u; echo \"size=$(stty size)\"; echo '<b id=injected>bold</b>'", Keys.ENTER);
        String shown = awaitTerminal("42-from-");
        awaitTerminal("<b id=injected>bold</b>");
        shown = terminalText();
        assertTrue(shown.lines().anyMatch(l -> l.strip().equals("1000")), "the task's user: " + shown);
        assertTrue(shown.contains("size=" + rows() + " " + cols()), "the task's terminal has the page's size: " + shown);
        assertEquals(0L, js("return document.querySelectorAll('#injected, main b').length;"), "the shell's output stays text");

        // a resize of the page's terminal is seen by the task
        long before = cols();
        browser.driver().manage().window().setSize(new org.openqa.selenium.Dimension(900, 760));
        browser.await(Duration.ofSeconds(10), d -> cols() < before);
        type("clear; echo \"cols=$(tput cols) rows=$(tput lines)\"", Keys.ENTER);
        awaitTerminal("cols=" + cols() + " rows=" + rows());

        // Ctrl-C interrupts a running command (the shell goes on; the command after && never ran)
        type("sleep 300 && echo \"after-\"sleep", Keys.ENTER);
        Thread.sleep(1000);
        type(Keys.chord(Keys.CONTROL, "c"));
        type("echo \"rc=$?\"", Keys.ENTER);
        awaitTerminal("rc=130");
        assertFalse(terminalText().lines().anyMatch(l -> l.strip().equals("after-sleep")), terminalText());
        browser.screenshot(DOCS.resolve("console-terminal.png"));

        // the exit code is shown
        type("exit 3", Keys.ENTER);
        browser.await(Duration.ofSeconds(20), d -> "3".equals(d.findElement(By.id("terminal")).getAttribute("data-exit")));
        assertTrue(browser.driver().findElement(By.id("terminal-status")).getText().contains("exit 3"));

        // Close ends the shell; Detach leaves it running
        openShell();
        String closed = shellPid();
        assertTrue(alive(closed), "positive control: the shell runs in the task");
        browser.driver().findElement(By.id("terminal-close")).click();
        for (int i = 0; i < 50 && alive(closed); i++) {
            Thread.sleep(200);
        }
        assertFalse(alive(closed), "closing the terminal ended its shell: no stray shell in the task");
        openShell();
        String detached = shellPid();
        browser.driver().findElement(By.id("terminal-detach")).click();
        browser.await(Duration.ofSeconds(20), d -> "detached".equals(d.findElement(By.id("terminal")).getAttribute("data-exit")));
        assertTrue(alive(detached), "a detached shell keeps running");
        terok.run("exec", task, "kill", "-HUP", detached);
    }

    @Test
    @Order(4)
    void theTerminalsUpgradeNeedsTheSessionItsCsrfTokenAndTheConsolesOrigin() throws Exception {
        String cookie = browser.driver().manage().getCookies().stream().filter(c -> c.getName().equals("terok_console"))
                .map(c -> c.getName() + "=" + c.getValue()).findFirst().orElseThrow();
        String csrf = (String) js("return terokCsrf();");
        String path = "/api/tasks/" + PROJECT + "/" + task + "/terminal?csrf=";
        assertTrue(upgrades(path + csrf, cookie, base()), "positive control: the page's own upgrade works");
        assertFalse(upgrades(path + "0".repeat(csrf.length()), cookie, base()), "a wrong CSRF token is refused");
        assertFalse(upgrades("/api/tasks/" + PROJECT + "/" + task + "/terminal", cookie, base()), "no CSRF token is refused");
        assertFalse(upgrades(path + csrf, cookie, "http://evil.example"), "another site's page is refused");
        assertFalse(upgrades(path + csrf, null, base()), "without the session it is refused");
    }

    /** Whether a WebSocket upgrade with these credentials is accepted (and then closed at once). */
    static boolean upgrades(String path, String cookie, String origin) {
        java.net.http.WebSocket.Builder b = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build()
                .newWebSocketBuilder().header("Origin", origin);
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        try {
            java.net.http.WebSocket ws = b.buildAsync(URI.create("ws://127.0.0.1:" + consolePort + path),
                    new java.net.http.WebSocket.Listener() { }).get(10, TimeUnit.SECONDS);
            ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            return false;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
