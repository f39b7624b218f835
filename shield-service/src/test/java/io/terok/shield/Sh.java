package io.terok.shield;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs host commands for the tests; tools that are missing fail the test in CI (CI=true) and skip it elsewhere. */
final class Sh {
    record Out(int code, String out, String err) {
        String both() {
            return out + err;
        }
    }

    private Sh() {
    }

    static Out run(Map<String, String> env, List<String> argv) {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().putAll(env);
        pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> o = drain(p.getInputStream());
            CompletableFuture<String> e = drain(p.getErrorStream());
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + argv);
            }
            return new Out(p.exitValue(), o.get(), e.get());
        } catch (IOException e) {
            return new Out(127, "", e.getMessage());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Out run(String... argv) {
        return run(Map.of(), List.of(argv));
    }

    /** Runs and requires exit 0. */
    static String ok(String... argv) {
        Out o = run(argv);
        if (o.code() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed (" + o.code() + "): " + o.both());
        }
        return o.out();
    }

    static CompletableFuture<String> drain(InputStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (s) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                s.transferTo(b);
                return b.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    /** The test needs root and these tools: without them it fails (never skips), naming what is missing. */
    static void require(boolean needRoot, String... tools) {
        List<String> missing = new ArrayList<>();
        if (needRoot && !"root".equals(System.getProperty("user.name"))) {
            missing.add("root");
        }
        for (String t : tools) {
            if (run("sh", "-c", "command -v " + t).code() != 0) {
                missing.add(t);
            }
        }
        if (!missing.isEmpty()) {
            throw new AssertionError("missing: " + missing + " (run bin/prepare-host)");
        }
    }
}
