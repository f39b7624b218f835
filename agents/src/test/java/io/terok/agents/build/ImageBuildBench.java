package io.terok.agents.build;

import io.terok.agents.AgentImages;
import io.terok.agents.image.Layer;
import io.terok.agents.image.LayerPlan;
import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Invocation;
import io.terok.agents.roster.Roster;
import io.terok.agents.stage.Stager;
import io.terok.common.HostProcess;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Image build figures for docs/agents.md; not part of the normal test run (the name does not end in Test):
 * {@code ./mvnw -B -q -ntp -pl agents -am verify -Dtest=ImageBuildBench -Dsurefire.failIfNoSpecifiedTests=false}.
 * Uses every tested agent ({@code image.agents: all}, so L0 carries Node.js too), on the CI base:
 * <ol>
 *   <li>cold L1 from a cached L0 (L1 and L2 removed before each run, staging already cached);</li>
 *   <li>a fully cached build through {@link AgentImages#build} (base resolved, plan, staging checked, three
 *       layers found), against the floor of the three {@code podman image exists} calls it makes;</li>
 *   <li>the size each layer adds.</li>
 * </ol>
 * Writes {@code target/bench-images.txt}.
 */
class ImageBuildBench {
    static final String BASE = PodmanBuildTest.env("TEROK_AGENTS_BASE", "localhost/terok-agent-base:bookworm");
    static final Path STAGE = PodmanBuildTest.STAGE;
    static final int COLD_RUNS = 2;
    static final int CACHED_RUNS = 7;

    @Test
    void bench() throws Exception {
        PodmanImageBuilder podman = new PodmanImageBuilder();
        AgentImages images = new AgentImages(Roster.shipped(), podman, new Stager(STAGE));
        AgentImages.Request req = new AgentImages.Request(BASE, null, List.of("all"), "agents-bench", null);
        List<String> out = new ArrayList<>();
        out.add("# terok image build benchmark, " + java.time.Instant.now() + ", base " + BASE);

        // Warm-up: stage everything and build L0 (and the rest) once.
        AgentImages.Result first = images.build(req, line -> { });
        LayerPlan plan = first.plan();
        out.add("agents: " + String.join(" ", plan.agents().stream().map(AgentDefinition::pinned).toList()));
        out.add("first build: " + first.record().summary());
        for (AgentDefinition a : plan.agents()) {
            Invocation.Launch v = Invocation.render(a, Invocation.Mode.VERSION,
                    new Invocation.Context(null, null, null, null, null, "/home/dev", "/workspace"));
            List<String> cmd = new ArrayList<>(List.of("podman", "run", "--rm", "--network=none", "--user", "1000:1000",
                    first.record().image()));
            cmd.addAll(v.argv());
            HostProcess.Result r = HostProcess.of(cmd).timeout(Duration.ofMinutes(1)).run();
            assertTrue(r.ok() && r.stdout().contains(a.install().version()), a.id() + ": " + r.describeFailure()
                    + " " + r.stdout());
            out.add("  " + a.id() + " --version: " + r.stdout().strip().replace('\n', ' '));
        }

        for (int i = 0; i < COLD_RUNS; i++) {
            rmi(plan.l2().tag());
            rmi(plan.l1().tag());
            BuildRecord rec = podman.build(plan, STAGE, BuildProgress.NONE);
            assertEquals(List.of(Layer.Kind.L0), rec.reused());
            out.add(String.format("cold L1 from cached L0, run %d: L1 %.1f s, L2 %.1f s, total %.1f s", i + 1,
                    secs(rec.layer(Layer.Kind.L1).elapsed()), secs(rec.layer(Layer.Kind.L2).elapsed()),
                    secs(rec.elapsed())));
        }

        List<Double> cached = new ArrayList<>();
        for (int i = 0; i < CACHED_RUNS; i++) {
            long t0 = System.nanoTime();
            AgentImages.Result r = images.build(req, line -> { });
            cached.add((System.nanoTime() - t0) / 1e9);
            assertEquals(List.of(Layer.Kind.L0, Layer.Kind.L1, Layer.Kind.L2), r.record().reused());
        }
        List<Double> floor = new ArrayList<>();
        for (int i = 0; i < CACHED_RUNS; i++) {
            long t0 = System.nanoTime();
            for (Layer l : plan.layers()) {
                HostProcess.of("podman", "image", "exists", l.tag()).run();
            }
            floor.add((System.nanoTime() - t0) / 1e9);
        }
        out.add(String.format("fully cached build (AgentImages.build, %d runs): median %.2f s, max %.2f s",
                CACHED_RUNS, median(cached), cached.stream().mapToDouble(d -> d).max().orElseThrow()));
        out.add(String.format("baseline, 3 x podman image exists: median %.2f s", median(floor)));

        for (ImageInfo info : podman.list()) {
            if (plan.layers().stream().anyMatch(l -> info.names().contains(l.tag()))) {
                out.add(String.format("size %s %s: adds %d MB (image %d MB)", info.kind(), info.name(),
                        info.ownSize() / 1_000_000, info.size() / 1_000_000));
            }
        }
        out.forEach(System.out::println);
        Files.write(Path.of("target/bench-images.txt"), out);
        assertTrue(median(cached) < 2.0, "a fully cached build takes under 2 s: " + cached);
    }

    private static double secs(Duration d) {
        return d.toMillis() / 1000.0;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        return s.get(s.size() / 2);
    }

    private static void rmi(String tag) throws IOException {
        HostProcess.of("podman", "rmi", tag).timeout(Duration.ofMinutes(2)).run();
    }
}
