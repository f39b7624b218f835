package io.terok.testsupport.browser;

import io.terok.common.HostProcess;
import io.terok.testsupport.LoopbackPort;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real browser for UI tests: Debian's headless Chromium driven through its chromedriver (both installed by
 * bin/prepare-host.d/console.sh). Each instance has a fresh profile directory, talks to chromedriver on a loopback
 * port, uses no proxy and resolves nothing but {@code localhost}, 127.0.0.1 and ::1, so a page under test can reach nothing but
 * loopback. A missing browser or driver fails the test (never a skip): a UI test that silently does not run proves
 * nothing.
 *
 * <p>Selenium is an optional dependency of test-support: a module that uses this class declares
 * {@code org.seleniumhq.selenium:selenium-java} itself.
 */
public final class Browser implements AutoCloseable {
    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final Path profile;

    private Browser(ChromeDriverService service, ChromeDriver driver, Path profile) {
        this.service = service;
        this.driver = driver;
        this.profile = profile;
    }

    /** Starts chromedriver and a headless Chromium with a window of 1280x900. */
    public static Browser start() {
        Path chromium = find("chromium");
        Path chromedriver = find("chromedriver");
        Path profile;
        try {
            profile = Files.createTempDirectory("terok-browser-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the browser profile directory", e);
        }
        // An explicit driver executable: Selenium Manager (which would download drivers and send usage statistics)
        // is never run.
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile())
                .usingPort(LoopbackPort.free())
                .withSilent(true)
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments(List.of(
                "--headless=new", "--disable-gpu", "--window-size=1280,900",
                "--user-data-dir=" + profile,
                "--no-proxy-server",
                // nothing but loopback resolves (the rules apply to address literals too): a page, or the browser
                // itself, cannot look a name up on the machine's resolver nor reach another address
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]",
                // the browser's own traffic (updates, sync, field trials, safe browsing) stays off
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
                "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication",
                "--metrics-recording-only", "--safebrowsing-disable-auto-update", "--password-store=basic"));
        if ("root".equals(System.getProperty("user.name"))) {
            // Chromium refuses its sandbox as root; the tests run as root on CI machines
            options.addArguments("--no-sandbox");
        }
        try {
            ChromeDriver driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
            driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
            return new Browser(service, driver, profile);
        } catch (RuntimeException e) {
            service.stop();
            deleteTree(profile);
            throw e;
        }
    }

    private static Path find(String tool) {
        Path p = HostProcess.which(tool, "/usr/bin:/usr/local/bin:/bin");
        if (p == null) {
            throw new AssertionError("missing " + tool + " (run bin/prepare-host: bin/prepare-host.d/console.sh"
                    + " installs Debian's chromium and chromium-driver)");
        }
        return p;
    }

    public WebDriver driver() {
        return driver;
    }

    public void open(String url) {
        driver.get(url);
    }

    /** Waits (up to {@code timeout}) until {@code condition} returns something other than null or false. */
    public <T> T await(Duration timeout, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, timeout, Duration.ofMillis(20)).until(condition);
    }

    /** Waits until an element matching {@code css} shows {@code text} in its visible text. */
    public WebElement awaitText(Duration timeout, String css, String text) {
        return await(timeout, d -> d.findElements(By.cssSelector(css)).stream()
                .filter(e -> e.getText().contains(text)).findFirst().orElse(null));
    }

    /** Whether an alert/confirm/prompt dialog is open (script injected into a page would typically raise one). */
    public boolean alertOpen() {
        try {
            driver.switchTo().alert();
            return true;
        } catch (org.openqa.selenium.NoAlertPresentException e) {
            return false;
        }
    }

    /** Writes a PNG of the current viewport to {@code file} (parent directories created). */
    public void screenshot(Path file) {
        Path tmp = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the screenshot " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp profile is harmless
        }
    }
}
