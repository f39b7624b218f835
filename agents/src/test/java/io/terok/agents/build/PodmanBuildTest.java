package io.terok.agents.build;

import io.terok.agents.image.Layer;
import io.terok.agents.image.LayerPlan;
import io.terok.agents.image.BaseImage;
import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Invocation;
import io.terok.agents.roster.Roster;
import io.terok.agents.stage.Stager;
import io.terok.common.HostProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real podman, real npm registry: claude and codex staged into a cache outside the repository (reused across
 * runs), L0 and L1 built on the CI base with --network=none, the agents run as uid 1000 without a network, layer
 * reuse and rebuilds asserted from the build's own record, and cleanup's choice checked against a real container.
 *
 * <p>Needs root (rootful podman) and the CI base image {@code localhost/terok-agent-base:bookworm}, which it
 * builds with {@code scripts/build-ci-base.sh} when missing. Under CI=true a missing prerequisite fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PodmanBuildTest {
    static final boolean CI = "true".equals(System.getenv("CI"));
    static final Path STAGE = Path.of(env("TEROK_AGENTS_STAGE", "/var/cache/terok-ci/agents-stage"));
    static final String BASE = env("TEROK_AGENTS_BASE", "localhost/terok-agent-base:bookworm");
    static final String CODEX_OLD = "0.170.0";

    final PodmanImageBuilder podman = new PodmanImageBuilder();
    final Roster roster = Roster.shipped();
    final List<String> containers = new ArrayList<>();
    final List<String> progress = Collections.synchronizedList(new ArrayList<>());
    BaseImage base;
    Stager stager;
    LayerPlan alpha;
    LayerPlan beta;
    LayerPlan changed;

    static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }

    @BeforeAll
    void prerequisites() throws Exception {
        boolean ready = HostProcess.which("podman") != null && HostProcess.which("npm") != null
                && "root".equals(System.getProperty("user.name"));
        if (CI) {
            assertTrue(ready, "CI needs root, podman and npm for the image tests");
        }
        assumeTrue(ready, "needs root, podman and npm");
        if (!podman.exists(BASE)) {
            HostProcess.Result r = HostProcess.of("scripts/build-ci-base.sh").timeout(Duration.ofMinutes(20)).run();
            assertTrue(r.ok(), "building the CI base: " + r.describeFailure());
        }
        base = podman.resolveBase(BASE, null);
        stager = new Stager(STAGE);
        alpha = LayerPlan.create(base, roster.select(List.of("claude", "codex")), "agents-test-alpha", null);
        beta = LayerPlan.create(base, roster.select(List.of("codex", "claude")), "agents-test-beta",
                "RUN [\"/bin/sh\", \"-c\", \"echo beta > /etc/terok-project\"]");
        changed = LayerPlan.create(base, List.of(roster.get("claude"), withVersion(roster.get("codex"), CODEX_OLD)),
                "agents-test-beta", "RUN [\"/bin/sh\", \"-c\", \"echo beta > /etc/terok-project\"]");
        // The project layers and the changed L1 are this test's own: remove them so they are built again here.
        for (String tag : List.of(alpha.l2().tag(), beta.l2().tag(), changed.l2().tag(), changed.l1().tag())) {
            rmi(tag);
        }
    }

    @AfterAll
    void removeOwnThings() throws IOException {
        for (String c : containers) {
            HostProcess.of("podman", "rm", "-f", c).run();
        }
        if (changed != null) {
            rmi(changed.l2().tag());
            rmi(changed.l1().tag());
        }
    }

    @Test
    @Order(1)
    void familyIsDetectedFromTheBaseImage() {
        assertEquals(io.terok.agents.image.Family.DEB, base.family());
        assertTrue(base.id().matches("[0-9a-f]{64}"));
    }

    @Test
    @Order(2)
    void firstProjectBuildsAndItsAgentsRunAsUid1000WithoutNetwork() throws Exception {
        List<Stager.Result> staged = stager.stage(alpha, progress::add);
        assertEquals(2, staged.size());
        assertTrue(Files.isRegularFile(STAGE.resolve("npm/anthropic-ai+claude-code@2.1.332/.terok-staged")));
        BuildRecord rec = podman.build(alpha, stager.contextDir(), (l, s, e) -> progress.add(l + " " + s + " " + e));
        System.out.println("alpha: " + rec.summary());
        assertEquals(BuildRecord.Status.BUILT, rec.layer(Layer.Kind.L2).status());
        assertTrue(progress.stream().anyMatch(p -> p.startsWith("L2 step 1/")), progress.toString());

        String image = rec.image();
        for (AgentDefinition a : alpha.agents()) {
            Invocation.Launch v = Invocation.render(a, Invocation.Mode.VERSION,
                    new Invocation.Context(null, null, null, null, null, "/home/dev", "/workspace"));
            String out = runIn(image, v.argv());
            assertTrue(out.contains(a.install().version()), a.id() + " --version said: " + out);
        }
        assertEquals("1000 /workspace", runIn(image, List.of("sh", "-c", "echo $(id -u) $(pwd)")).strip());
        assertEquals("1000", runIn(image, List.of("stat", "-c", "%u", "/workspace")).strip());
        // The tools L0 guarantees are all there (the CI base has them; L0 installed nothing).
        assertEquals("ok", runIn(image, List.of("sh", "-c",
                "command -v git curl ssh rg jq bash cc make python3 >/dev/null && echo ok")).strip());
    }

    @Test
    @Order(3)
    void aSecondProjectWithTheSameBaseAndAgentsBuildsOnlyL2() {
        List<Stager.Result> staged = stager.stage(beta, progress::add);
        assertTrue(staged.stream().allMatch(Stager.Result::reused), "staged once, reused without network");
        BuildRecord rec = podman.build(beta, stager.contextDir(), BuildProgress.NONE);
        System.out.println("beta: " + rec.summary());
        assertEquals(alpha.l0().tag(), beta.l0().tag());
        assertEquals(alpha.l1().tag(), beta.l1().tag());
        assertEquals(List.of(Layer.Kind.L0, Layer.Kind.L1), rec.reused());
        assertEquals(List.of(Layer.Kind.L2), rec.built());
    }

    @Test
    @Order(4)
    void aChangedAgentVersionRebuildsL1AndL2Only() throws Exception {
        stager.stage(changed, progress::add);
        BuildRecord rec = podman.build(changed, stager.contextDir(), BuildProgress.NONE);
        System.out.println("changed: " + rec.summary());
        assertEquals(List.of(Layer.Kind.L0), rec.reused());
        assertEquals(List.of(Layer.Kind.L1, Layer.Kind.L2), rec.built());
        assertNotEquals(beta.l1().tag(), changed.l1().tag());
        assertTrue(runIn(rec.image(), List.of("codex", "--version")).contains(CODEX_OLD));
        assertEquals("beta", runIn(rec.image(), List.of("cat", "/etc/terok-project")).strip());
    }

    @Test
    @Order(5)
    void cleanupListsOnlyOrphanedLayersAndNeverOneAContainerUses() throws Exception {
        Set<String> current = new HashSet<>();
        for (LayerPlan p : List.of(alpha, beta)) {
            p.layers().forEach(l -> current.add(l.tag()));
        }
        CleanupReport dry = podman.cleanup(current, true);
        Set<String> removed = names(dry.removed());
        assertTrue(removed.contains(changed.l1().tag()) && removed.contains(changed.l2().tag()), removed.toString());
        for (String tag : current) {
            assertFalse(removed.contains(tag), "a current layer is never an orphan: " + tag);
        }
        assertTrue(dry.removed().stream().allMatch(i -> i.containers() == 0));
        assertTrue(podman.exists(changed.l2().tag()), "a dry run removes nothing");

        // A container (even a stopped one) on the changed image protects it and the L1 below it.
        String name = "agents-test-" + UUID.randomUUID().toString().substring(0, 8);
        HostProcess.Result c = HostProcess.of("podman", "create", "--name", name, "--network=none",
                changed.l2().tag(), "true").timeout(Duration.ofMinutes(1)).run();
        assertTrue(c.ok(), c.describeFailure());
        containers.add(name);
        Set<String> now = names(podman.cleanup(current, true).removed());
        assertFalse(now.contains(changed.l2().tag()), now.toString());
        assertFalse(now.contains(changed.l1().tag()), now.toString());

        List<ImageInfo> list = podman.list();
        ImageInfo l1 = list.stream().filter(i -> i.names().contains(alpha.l1().tag())).findFirst().orElseThrow();
        assertEquals("claude@2.1.332,codex@0.171.0", l1.agents());
        assertTrue(l1.ownSize() > 100_000_000L && l1.ownSize() < l1.size(), l1.toString());
        ImageInfo l2 = list.stream().filter(i -> i.names().contains(changed.l2().tag())).findFirst().orElseThrow();
        assertEquals("agents-test-beta", l2.project());
        assertEquals(1, l2.containers());
    }

    @Test
    @Order(6)
    void aBaseWithoutTheToolsFailsL0WithNoNetworkAndSaysWhatIsMissing() throws Exception {
        // bin/prepare-host's localhost/terok-agent:latest has bash, git and curl only.
        assumeTrue(podman.exists("localhost/terok-agent:latest") || CI, "no localhost/terok-agent:latest");
        BaseImage bare = podman.resolveBase("localhost/terok-agent:latest", null);
        LayerPlan plan = LayerPlan.create(bare, roster.select(List.of("claude")), "agents-test-bare", null);
        io.terok.common.ServiceException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.terok.common.ServiceException.class,
                () -> podman.build(plan, stager.contextDir(), BuildProgress.NONE));
        assertTrue(e.getMessage().contains("building L0") && e.getMessage().contains("terok L0: installing:")
                && e.getMessage().contains("ripgrep") && e.getMessage().contains("jq"), e.getMessage());
        assertFalse(podman.exists(plan.l0().tag()), "a failed layer leaves no tag behind");
    }

    private String runIn(String image, List<String> argv) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("podman", "run", "--rm", "--network=none", "--pull=never",
                "--user", "1000:1000", image));
        cmd.addAll(argv);
        HostProcess.Result r = HostProcess.of(cmd).timeout(Duration.ofMinutes(1)).run();
        assertTrue(r.ok(), String.join(" ", argv) + ": " + r.describeFailure());
        return r.stdout();
    }

    private static void rmi(String tag) throws IOException {
        HostProcess.of("podman", "rmi", tag).timeout(Duration.ofMinutes(1)).run();
    }

    private static Set<String> names(List<ImageInfo> images) {
        Set<String> s = new HashSet<>();
        images.forEach(i -> s.addAll(i.names()));
        return s;
    }

    static AgentDefinition withVersion(AgentDefinition a, String version) {
        AgentDefinition.Install i = a.install();
        return new AgentDefinition(a.id(), a.name(), a.untested(), a.source(), new AgentDefinition.Install(i.kind(),
                i.pkg(), version, i.runtime(), i.nodeMajor(), i.entry(), i.command()), a.providers(),
                a.defaultProvider(), a.configDirs(), a.env(), a.commands());
    }
}
