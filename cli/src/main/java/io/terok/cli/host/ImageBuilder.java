package io.terok.cli.host;

import io.terok.cli.core.CliException;
import io.terok.cli.core.FileTrees;
import io.terok.common.HostProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Builds the service images {@code localhost/terok-<svc>:latest} with podman from {@code deploy/images/} and the
 * service's {@code target/quarkus-app/}. An image whose label {@value #INPUT_LABEL} equals the digest of its inputs
 * (Containerfile, health check, every file of quarkus-app, the base image's id; for shield the host's nft and dnsmasq,
 * see {@link HostTools}) is left alone, so running
 * {@code terok setup} again changes nothing.
 */
final class ImageBuilder {
    static final String INPUT_LABEL = "io.terok.build-input";
    static final String DEFAULT_BASE = "docker.io/library/eclipse-temurin:17-jre";
    static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);
    static final Duration QUICK = Duration.ofSeconds(30);

    enum Outcome { UNCHANGED, BUILT }

    private final Path terokHome;
    private final String podman;

    ImageBuilder(Path terokHome, String podman) {
        this.terokHome = terokHome;
        this.podman = podman;
    }

    Path appDir(DeployedImage s) {
        return terokHome.resolve(s.module()).resolve("target/quarkus-app");
    }

    Path containerfile(DeployedImage s) {
        return terokHome.resolve("deploy/images/Containerfile." + s.id());
    }

    Path healthcheck() {
        return terokHome.resolve("deploy/images/healthcheck");
    }

    /** The base image's id, pulling it first if it is not local (podman build would do the same). */
    String baseId(String base) throws IOException {
        HostProcess.Result r = HostProcess.of(podman, "image", "inspect", "--format", "{{.Id}}", base).timeout(QUICK).run();
        if (r.ok()) {
            return r.stdout().strip();
        }
        HostProcess.Result pull = HostProcess.of(podman, "pull", "--quiet", base).timeout(BUILD_TIMEOUT).run();
        if (!pull.ok()) {
            throw new CliException("base image " + base + " is not in podman's storage and cannot be pulled: " + pull.firstLine(),
                    "pull or build a Java 17 runtime image (offline: bin/prepare-host builds localhost/terok-jre-base:latest "
                            + "from Debian packages) and pass it with --base-image (or TEROK_BASE_IMAGE)");
        }
        r = HostProcess.of(podman, "image", "inspect", "--format", "{{.Id}}", base).timeout(QUICK).run();
        if (!r.ok()) {
            throw new CliException("base image " + base + " was pulled but cannot be inspected: " + r.firstLine(), "run `podman images`");
        }
        return r.stdout().strip();
    }

    /** Refuses when the service's quarkus-app is not built. */
    void requireBuilt(DeployedImage s) {
        Path jar = appDir(s).resolve("quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new CliException("the " + s.id() + " service is not built: no " + jar,
                    "build it with `./mvnw -B -DskipTests package` in " + terokHome);
        }
    }

    /** Digest of everything the image is built from. */
    String inputDigest(DeployedImage s, String baseId) throws IOException {
        requireBuilt(s);
        Path app = appDir(s);
        MessageDigest md = sha256();
        update(md, "base " + baseId + "\n");
        digestFile(md, "Containerfile", containerfile(s));
        digestFile(md, "healthcheck", healthcheck());
        if (s == DeployedImage.SHIELD) {
            for (Path f : HostTools.inputs(HostTools.system().find())) {
                digestFile(md, "host " + f, f);
            }
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> w = Files.walk(app)) {
            w.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().forEach(files::add);
        }
        for (Path f : files) {
            digestFile(md, "app/" + app.relativize(f), f);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The input digest recorded on the installed image, or null when the image is missing. */
    String installedDigest(DeployedImage s) throws IOException {
        HostProcess.Result r = HostProcess.of(podman, "image", "inspect", "--format",
                "{{index .Labels \"" + INPUT_LABEL + "\"}}", Deployment.image(s)).timeout(QUICK).run();
        return r.ok() ? r.stdout().strip() : null;
    }

    /** Builds the image unless the installed one was built from the same inputs. */
    Outcome ensure(DeployedImage s, String base, String baseId) throws IOException {
        String digest = inputDigest(s, baseId);
        if (digest.equals(installedDigest(s))) {
            return Outcome.UNCHANGED;
        }
        Path stage = Files.createTempDirectory("terok-image-" + s.id() + "-");
        try {
            stageContext(s, stage);
            HostProcess.Result r = HostProcess.of(podman, "build", "--quiet", "--pull=never",
                    "--build-arg", "BASE=" + base, "--label", INPUT_LABEL + "=" + digest,
                    "-f", stage.resolve("Containerfile").toString(), "-t", Deployment.image(s), stage.toString()).timeout(BUILD_TIMEOUT).run();
            if (!r.ok()) {
                throw new CliException("building " + Deployment.image(s) + " failed: "
                        + (r.timedOut() ? "no result within " + BUILD_TIMEOUT.toMinutes() + " min" : lastLines(r.stderr() + r.stdout(), 8)),
                        "fix what podman reports; the Containerfile is " + containerfile(s));
            }
        } finally {
            FileTrees.delete(stage);
        }
        return Outcome.BUILT;
    }

    /** Removes the service's image; true when there was one. */
    boolean remove(DeployedImage s) throws IOException {
        HostProcess.Result exists = HostProcess.of(podman, "image", "exists", Deployment.image(s)).timeout(QUICK).run();
        if (!exists.ok()) {
            return false;
        }
        HostProcess.Result r = HostProcess.of(podman, "rmi", "--force", Deployment.image(s)).timeout(QUICK).run();
        if (!r.ok()) {
            throw new CliException("cannot remove " + Deployment.image(s) + ": " + r.firstLine(), "run `podman rmi " + Deployment.image(s) + "`");
        }
        return true;
    }

    boolean exists(DeployedImage s) throws IOException {
        return HostProcess.of(podman, "image", "exists", Deployment.image(s)).timeout(QUICK).run().ok();
    }

    /**
     * The build context: quarkus-app/ (hard links where possible, so no copy of ~100 MB), the health check, the
     * Containerfile; for shield also host-tools/ (the host's nft and dnsmasq).
     */
    private void stageContext(DeployedImage s, Path stage) throws IOException {
        Files.copy(containerfile(s), stage.resolve("Containerfile"));
        Files.copy(healthcheck(), stage.resolve("healthcheck"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        if (s == DeployedImage.SHIELD) {
            HostTools.stage(HostTools.system().find(), stage);
        }
        Path app = appDir(s);
        Path dest = stage.resolve("quarkus-app");
        Files.walkFileTree(app, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(dest.resolve(app.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path to = dest.resolve(app.relativize(file).toString());
                try {
                    Files.createLink(to, file);
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(file, to);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void digestFile(MessageDigest md, String name, Path f) throws IOException {
        update(md, "file " + name + " " + Files.size(f) + (Files.isExecutable(f) ? " x" : "") + "\n");
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
    }

    private static void update(MessageDigest md, String s) {
        md.update(s.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String lastLines(String text, int n) {
        String[] lines = text.strip().split("\n");
        return String.join(" | ", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - n), lines.length));
    }
}
