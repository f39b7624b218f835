package io.terok.agents.stage;

import io.terok.common.Printable;
import io.terok.common.ServiceException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Asks the npm registry what a package version is: its published tarball and {@code dist.integrity} (the SRI
 * sha512 npm verifies downloads against). The stager compares what npm installed with this answer, so a staged
 * package is the one the registry published for that exact version.
 */
public final class NpmRegistry {
    public static final String DEFAULT_URL = "https://registry.npmjs.org";
    private static final Pattern SRI = Pattern.compile("sha512-[A-Za-z0-9+/]{86}==");
    private static final int MAX_BYTES = 8 * 1024 * 1024;

    private final String url;
    /** Built on first use: an HttpClient sets up TLS (about 200 classes), which the runtime's start never needs. */
    private volatile HttpClient http;

    public NpmRegistry(String url) {
        if (!url.matches("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")) {
            throw ServiceException.invalid("npm registry", "not an http(s) URL: " + Printable.line(url, 80));
        }
        this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private HttpClient http() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                c = http;
                if (c == null) {
                    c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                            .followRedirects(HttpClient.Redirect.NORMAL).build();
                    http = c;
                }
            }
        }
        return c;
    }

    public static NpmRegistry defaultRegistry() {
        return new NpmRegistry(DEFAULT_URL);
    }

    public String url() {
        return url;
    }

    /** What the registry says about one version. */
    public record Dist(String tarball, String integrity) {
    }

    public Dist dist(NpmPackage pkg) {
        String path = pkg.name().replace("/", "%2f") + "/" + pkg.version();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/" + path)).timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json").GET().build();
        HttpResponse<byte[]> resp;
        try {
            resp = http().send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw ServiceException.unavailable("npm registry " + url + " not reachable for " + pkg + ": "
                    + Printable.line(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ServiceException.unavailable("interrupted while asking the npm registry about " + pkg);
        }
        if (resp.statusCode() == 404) {
            throw ServiceException.notFound("the npm registry has no " + pkg);
        }
        if (resp.statusCode() != 200 || resp.body().length > MAX_BYTES) {
            throw ServiceException.unavailable("npm registry answered " + resp.statusCode() + " for " + pkg);
        }
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(new String(resp.body(), StandardCharsets.UTF_8));
        if (doc instanceof Map<?, ?> m && m.get("dist") instanceof Map<?, ?> dist
                && dist.get("integrity") instanceof String integrity && dist.get("tarball") instanceof String tarball
                && pkg.version().equals(m.get("version"))) {
            if (!SRI.matcher(integrity).matches()) {
                throw ServiceException.unavailable("npm registry gave no sha512 integrity for " + pkg);
            }
            return new Dist(tarball, integrity);
        }
        throw ServiceException.unavailable("npm registry answer for " + pkg + " has no dist.integrity");
    }
}
