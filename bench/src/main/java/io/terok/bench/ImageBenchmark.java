package io.terok.bench;

import io.terok.agents.AgentImages;
import io.terok.agents.build.BuildProgress;
import io.terok.agents.build.BuildRecord;
import io.terok.agents.build.ImageInfo;
import io.terok.agents.build.PodmanImageBuilder;
import io.terok.agents.image.Layer;
import io.terok.agents.image.LayerPlan;
import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Invocation;
import io.terok.agents.roster.Roster;
import io.terok.agents.stage.Stager;
import io.terok.common.HostProcess;
import io.terok.testsupport.Cmd;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The agent image layers (docs/agents.md "Tests and figures"), through the agents library's own API on the CI base:
 * (1) cold L1 from a cached L0 (L1 and L2 removed before each run, the npm staging already cached); (2) a fully cached
 * build through {@link AgentImages#build} (base resolved, plan, staging checked, three layers found) against the
 * least any cached build has to ask podman, the three {@code podman image exists} calls, alternating run by run;
 * (3) the size each layer adds. Every agent's {@code --version} is checked in the built image first, so the figures
 * are for images that work.
 * Usage: ImageBenchmark [COLD_RUNS] [AGENT...] (default 2 and {@code all}). As root. Prints Markdown.
 */
public final class ImageBenchmark {
    static final String BASE = envOr("TEROK_AGENTS_BASE", "localhost/terok-agent-base:bookworm");
    static final Path STAGE = Path.of(envOr("TEROK_AGENTS_STAGE", "/var/cache/terok-ci/agents-stage"));
    static final int CACHED_RUNS = 7;

    public static void main(String[] args) throws Exception {
        int coldRuns = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        List<String> agents = args.length > 1 ? List.of(Arrays.copyOfRange(args, 1, args.length)) : List.of("all");
        Cmd.require(List.of("podman"));
        PodmanImageBuilder podman = new PodmanImageBuilder();
        AgentImages images = new AgentImages(Roster.shipped(), podman, new Stager(STAGE));
        // A project name of its own, so the benchmark's L2 never replaces a real project's image.
        AgentImages.Request req = new AgentImages.Request(BASE, null, agents, "terok-bench-images", null);

        // Warm-up: stage what is missing and build L0 (and the rest) once.
        AgentImages.Result first = images.build(req, line -> { });
        LayerPlan plan = first.plan();
        System.out.println("# Agent images, base " + BASE + ", " + java.time.Instant.now());
        System.out.println();
        System.out.println("agents: " + String.join(" ", plan.agents().stream().map(AgentDefinition::pinned).toList()));
        for (AgentDefinition a : plan.agents()) {
            Invocation.Launch v = Invocation.render(a, Invocation.Mode.VERSION,
                    new Invocation.Context(null, null, null, null, null, "/home/dev", "/workspace"));
            List<String> cmd = new ArrayList<>(List.of("podman", "run", "--rm", "--network=none", "--user", "1000:1000",
                    first.record().image()));
            cmd.addAll(v.argv());
            HostProcess.Result r = HostProcess.of(cmd).timeout(Duration.ofMinutes(1)).run();
            if (!r.ok() || !r.stdout().contains(a.install().version())) {
                throw new IllegalStateException(a.id() + " --version in " + first.record().image() + ": "
                        + r.describeFailure() + " " + r.stdout());
            }
        }

        List<String> cold = new ArrayList<>();
        for (int i = 0; i < coldRuns; i++) {
            rmi(plan.l2().tag());
            rmi(plan.l1().tag());
            BuildRecord rec = podman.build(plan, STAGE, BuildProgress.NONE);
            if (!rec.reused().equals(List.of(Layer.Kind.L0))) {
                throw new IllegalStateException("expected only L0 reused, got " + rec.reused());
            }
            cold.add(String.format("%.1f s (L1 %.1f s, L2 %.1f s)", secs(rec.elapsed()),
                    secs(rec.layer(Layer.Kind.L1).elapsed()), secs(rec.layer(Layer.Kind.L2).elapsed())));
        }

        List<Double> cached = new ArrayList<>();
        List<Double> floor = new ArrayList<>();
        for (int i = 0; i < CACHED_RUNS; i++) {
            long t0 = System.nanoTime();
            AgentImages.Result r = images.build(req, line -> { });
            cached.add((System.nanoTime() - t0) / 1e9);
            if (!r.record().reused().equals(List.of(Layer.Kind.L0, Layer.Kind.L1, Layer.Kind.L2))) {
                throw new IllegalStateException("expected every layer reused, got " + r.record().reused());
            }
            t0 = System.nanoTime();
            for (Layer l : plan.layers()) {
                HostProcess.of("podman", "image", "exists", l.tag()).run();
            }
            floor.add((System.nanoTime() - t0) / 1e9);
        }

        System.out.println();
        System.out.println("| figure | measured | baseline (same run) |");
        System.out.println("|---|---|---|");
        System.out.println("| cold L1 from a cached L0, " + coldRuns + " runs | " + String.join("; ", cold) + " | |");
        System.out.printf("| fully cached build (`AgentImages.build`, %d runs) | median %.2f s, max %.2f s | "
                        + "3 x `podman image exists`: median %.2f s, max %.2f s |%n", CACHED_RUNS, new Stats(cached).median(),
                max(cached), new Stats(floor).median(), max(floor));
        for (ImageInfo info : podman.list()) {
            if (plan.layers().stream().anyMatch(l -> info.names().contains(l.tag()))) {
                System.out.printf("| size of %s `%s` | adds %d MB | whole image %d MB |%n", info.kind(), info.name(),
                        info.ownSize() / 1_000_000, info.size() / 1_000_000);
            }
        }
        // The benchmark's own project image goes; L0 and L1 stay, shared with real projects of the same agents.
        rmi(plan.l2().tag());
    }

    private static double secs(Duration d) {
        return d.toMillis() / 1000.0;
    }

    private static double max(List<Double> xs) {
        return xs.stream().mapToDouble(d -> d).max().orElseThrow();
    }

    private static void rmi(String tag) throws Exception {
        HostProcess.of("podman", "rmi", tag).timeout(Duration.ofMinutes(2)).run();
    }

    private static String envOr(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }
}
