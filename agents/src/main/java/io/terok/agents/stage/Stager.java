package io.terok.agents.stage;

import io.terok.agents.image.LayerPlan;
import io.terok.agents.roster.AgentDefinition;
import io.terok.common.HostProcess;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Builds the L1 (and Node.js for L0) build context on the host, where the registries are reachable: one
 * {@code npm install --ignore-scripts} per package version into {@code <stage>/npm/<name>@<version>}, checked
 * against the registry's {@code dist.integrity} and marked complete only then. A staged version is reused by
 * every later build without touching the network; the stage directory lives outside any repository (the caller
 * names it: {@code <data dir>/images/stage} for users, {@code /var/cache/terok-ci/...} in CI).
 *
 * <p>No install scripts run: npm 11 blocks them anyway, and every shipped agent's program is already in the
 * package (a native binary in the platform package, or a JavaScript bundle).
 */
public final class Stager {
    /** Written last into a staged package directory: its presence means "complete and checked". */
    static final String MARKER = ".terok-staged";

    private final Path stageDir;
    private final NpmRegistry registry;
    private final String npm;
    private Duration timeout = Duration.ofMinutes(10);

    /**
     * @param stageDir the stage (and build context) directory, created if missing
     * @param npm      the npm program to run (a name on PATH or a path)
     */
    public Stager(Path stageDir, NpmRegistry registry, String npm) {
        this.stageDir = stageDir.toAbsolutePath().normalize();
        this.registry = registry;
        this.npm = npm;
    }

    public Stager(Path stageDir) {
        this(stageDir, NpmRegistry.defaultRegistry(), "npm");
    }

    /** Per package install deadline (the large native agents are a few hundred MB). */
    public Stager timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /** The build context for {@link io.terok.agents.build.ImageBuilder#build}. */
    public Path contextDir() {
        return stageDir;
    }

    /** One package's outcome: staged now (with the time it took) or found complete from an earlier run. */
    public record Result(NpmPackage pkg, boolean reused, Duration elapsed, String integrity) {
    }

    public boolean isStaged(NpmPackage pkg) {
        return Files.isRegularFile(dir(pkg).resolve(MARKER));
    }

    /**
     * Makes every package the plan needs present and checked, then checks that each agent's program (and node) is
     * where its definition says. {@code progress} gets one line per package.
     */
    public List<Result> stage(LayerPlan plan, Consumer<String> progress) {
        List<Result> results = new ArrayList<>();
        for (NpmPackage pkg : plan.staging()) {
            results.add(stage(pkg, progress));
        }
        for (AgentDefinition a : plan.agents()) {
            Path entry = dir(new NpmPackage(a.install().pkg(), a.install().version())).resolve("node_modules")
                    .resolve(a.install().entry());
            if (!Files.isRegularFile(entry)) {
                throw ServiceException.precondition("agent " + a.id() + ": " + a.install().entry() + " is not in the"
                        + " staged " + a.install().pkg() + "@" + a.install().version() + " (a platform package npm"
                        + " did not install on this host?); remove " + dir(new NpmPackage(a.install().pkg(),
                        a.install().version())) + " to stage it again");
            }
        }
        return results;
    }

    /** Stages one package version unless it already is. */
    public Result stage(NpmPackage pkg, Consumer<String> progress) {
        Path target = dir(pkg);
        if (isStaged(pkg)) {
            progress.accept("stage " + pkg + ": reused " + target);
            return new Result(pkg, true, Duration.ZERO, readMarker(target));
        }
        Instant start = Instant.now();
        progress.accept("stage " + pkg + ": npm install from " + registry.url());
        NpmRegistry.Dist dist = registry.dist(pkg);
        Path tmp = target.resolveSibling(".tmp-" + target.getFileName() + "-" + UUID.randomUUID());
        try {
            Files.createDirectories(tmp);
            HostProcess.Result r = HostProcess.of(List.of(npm, "install", "--prefix", tmp.toString(),
                            "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier",
                            "--registry", registry.url(), pkg.spec()))
                    .directory(tmp).timeout(timeout).maxOutput(256 * 1024).run();
            if (!r.ok()) {
                throw ServiceException.unavailable("npm install " + pkg + " failed: " + r.describeFailure());
            }
            String installed = lockIntegrity(tmp, pkg);
            if (!dist.integrity().equals(installed)) {
                throw ServiceException.precondition("npm installed " + pkg + " with integrity "
                        + Printable.line(installed, 100) + " but the registry publishes " + dist.integrity());
            }
            Files.writeString(tmp.resolve(MARKER), "package: " + pkg.name() + "\nversion: " + pkg.version()
                    + "\nintegrity: " + dist.integrity() + "\ntarball: " + dist.tarball() + "\nstaged: "
                    + Instant.now() + "\n", StandardCharsets.UTF_8);
            if (Files.exists(target)) {
                // A directory without the marker is an interrupted stage from an older run: replace it.
                deleteTree(target);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                // Someone else staged it meanwhile; theirs is as good as ours.
                if (!isStaged(pkg)) {
                    throw e;
                }
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            Duration took = Duration.between(start, Instant.now());
            progress.accept("stage " + pkg + ": staged in " + took.toMillis() / 1000.0 + " s (" + dist.integrity()
                    .substring(0, 20) + "...)");
            return new Result(pkg, false, took, dist.integrity());
        } catch (IOException e) {
            throw ServiceException.internal("cannot stage " + pkg + " in " + target + ": " + e.getMessage(), e);
        } finally {
            if (Files.exists(tmp)) {
                deleteTree(tmp);
            }
        }
    }

    /** Where {@code pkg} is (or would be) staged. */
    public Path dir(NpmPackage pkg) {
        return stageDir.resolve(pkg.contextDir());
    }

    /** The integrity npm recorded in the lockfile for the top-level package it installed. */
    static String lockIntegrity(Path prefix, NpmPackage pkg) throws IOException {
        Path lock = prefix.resolve("package-lock.json");
        if (!Files.isRegularFile(lock)) {
            throw ServiceException.precondition("npm left no package-lock.json for " + pkg);
        }
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(64 * 1024 * 1024);
        Object doc = new Yaml(new SafeConstructor(options)).load(Files.readString(lock, StandardCharsets.UTF_8));
        if (doc instanceof Map<?, ?> m && m.get("packages") instanceof Map<?, ?> pkgs
                && pkgs.get("node_modules/" + pkg.name()) instanceof Map<?, ?> entry
                && pkg.version().equals(entry.get("version")) && entry.get("integrity") instanceof String integrity) {
            return integrity;
        }
        throw ServiceException.precondition("package-lock.json has no integrity for " + pkg + " at that version");
    }

    private static String readMarker(Path dir) {
        try {
            for (String line : Files.readAllLines(dir.resolve(MARKER), StandardCharsets.UTF_8)) {
                if (line.startsWith("integrity: ")) {
                    return line.substring("integrity: ".length());
                }
            }
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }
}
