package io.terok.cli.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.agents.image.Layer;
import io.terok.cli.Cli;
import io.terok.common.HostProcess;
import io.terok.testsupport.PrivateStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;

/**
 * {@code terok image list/usage/cleanup} through the real CLI against real podman, in a podman storage of the test's
 * own ({@code CONTAINERS_STORAGE_CONF}): cleanup here can never touch the machine's images. The layers are small
 * images carrying the labels {@code LayerPlan} gives real layers (a busybox base, 1-3 MiB each), built with
 * {@code podman build}: what the verbs read is the labels, sizes and containers, not the agents inside.
 */
@TestMethodOrder(OrderAnnotation.class)
class ImageVerbsTest {
    static Path dir;
    static Map<String, String> env;
    static String baseId;

    @BeforeAll
    static void storage() throws Exception {
        PrivateStorage storage = PrivateStorage.create("terok-image-verbs");
        dir = storage.dir();
        Path conf = storage.conf();
        Path rootfs = storage.busyboxRootfs();
        env = Map.of("CONTAINERS_STORAGE_CONF", conf.toString(), "TEROK_CONFIG_DIR", dir.resolve("config").toString());
        baseId = podman("import", "-q", rootfs.toString(), "localhost/tiny-base:1").strip().replace("sha256:", "");

        // alpha: an old and a new L2 on l1-a; beta: an L2 on l1-b; l1-c: agents nobody's image is built on.
        layer("l0-a", "tiny-base:1", "l0", baseId, null, null, 0);
        layer("l1-a", "l0-a", "l1", "localhost/terok-l0:l0-a", null, "claude@1.0.0", 2);
        layer("l1-b", "l0-a", "l1", "localhost/terok-l0:l0-a", null, "codex@1.0.0", 3);
        layer("l1-c", "l0-a", "l1", "localhost/terok-l0:l0-a", null, "gemini@1.0.0", 1);
        layer("l2-alpha-old", "l1-a", "l2", "localhost/terok-l1:l1-a", "alpha", null, 0);
        layer("l2-beta", "l1-b", "l2", "localhost/terok-l1:l1-b", "beta", null, 0);
        Thread.sleep(1100); // Created has one-second resolution: the new alpha must be visibly newer
        layer("l2-alpha-new", "l1-a", "l2", "localhost/terok-l1:l1-a", "alpha", null, 1);
        // A stopped container (never started) of the old alpha image: it must survive every cleanup.
        podman("create", "--name", "old-alpha-task", "--network=none", "localhost/terok-l2-alpha:l2-alpha-old", "true");
    }

    @AfterAll
    static void removeStorage() throws Exception {
        if (dir != null) {
            HostProcess.of("podman", "rm", "-af").env(env).timeout(Duration.ofMinutes(1)).run();
            HostProcess.of("podman", "rmi", "-af").env(env).timeout(Duration.ofMinutes(1)).run();
            // Overlay mounts are gone once every image is; podman's own cleanup of its storage directory:
            HostProcess.of("podman", "system", "reset", "-f").env(env).timeout(Duration.ofMinutes(1)).run();
            HostProcess.of("rm", "-rf", dir.toString()).run();
        }
    }

    static String podman(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("podman"));
        cmd.addAll(List.of(args));
        HostProcess.Result r = HostProcess.of(cmd).env(env).timeout(Duration.ofMinutes(2)).run();
        assertTrue(r.ok(), () -> String.join(" ", cmd) + ": " + r.describeFailure());
        return r.stdout();
    }

    /** A labelled layer named like LayerPlan names them, adding {@code mib} MiB over its parent. */
    static void layer(String hash, String from, String kind, String parent, String project, String agents, int mib)
            throws IOException {
        Path ctx = Files.createDirectories(dir.resolve("ctx-" + hash));
        Files.write(ctx.resolve("blob"), new byte[mib * 1024 * 1024 + hash.length()]);
        String fromRef = from.contains(":") ? "localhost/" + from
                : "localhost/terok-" + (from.startsWith("l0") ? "l0" : "l1") + ":" + from;
        String tag = kind.equals("l2") ? "localhost/terok-l2-" + project + ":" + hash : "localhost/terok-" + kind + ":" + hash;
        List<String> cmd = new ArrayList<>(List.of("podman", "build", "--network=none", "--pull=never", "--layers=false",
                "-q", "-t", tag, "-f", "-", "--label=" + Layer.LABEL_LAYER + "=" + kind, "--label=" + Layer.LABEL_PARENT + "=" + parent,
                "--label=" + Layer.LABEL_INPUTS + "=" + hash));
        if (project != null) {
            cmd.add("--label=" + Layer.LABEL_PROJECT + "=" + project);
        }
        if (agents != null) {
            cmd.add("--label=" + Layer.LABEL_AGENTS + "=" + agents);
        }
        cmd.add(ctx.toString());
        HostProcess.Result r = HostProcess.of(cmd).env(env).stdin("FROM " + fromRef + "\nCOPY blob /blob-" + hash + "\n")
                .timeout(Duration.ofMinutes(2)).run();
        assertTrue(r.ok(), () -> "building " + tag + ": " + r.describeFailure());
    }

    static boolean exists(String tag) throws IOException {
        return HostProcess.of("podman", "image", "exists", tag).env(env).timeout(Duration.ofSeconds(30)).run().ok();
    }

    static Cli terok(String... args) {
        return Cli.run(env, args);
    }

    @Test
    @Order(1)
    void listShowsEveryLayerAndAProjectsChain() {
        Cli all = terok("image", "list");
        assertEquals(0, all.exit(), all::toString);
        for (String tag : new String[] {"terok-l0:l0-a", "terok-l1:l1-a", "terok-l1:l1-c", "terok-l2-alpha:l2-alpha-new", "terok-l2-beta:l2-beta"}) {
            assertTrue(all.out().contains(tag), tag + " listed: " + all);
        }
        assertTrue(all.out().lines().anyMatch(l -> l.contains("l2-alpha-old") && l.matches(".*\\s1\\s+alpha$")),
                "the old alpha image shows its one container: " + all.out());

        Cli alpha = terok("image", "list", "alpha");
        assertEquals(0, alpha.exit(), alpha::toString);
        List<String> lines = alpha.out().lines().skip(1).toList();
        assertTrue(lines.get(0).contains("l2-alpha-new"), "newest first: " + alpha.out());
        assertTrue(alpha.out().contains("terok-l1:l1-a") && alpha.out().contains("claude@1.0.0") && alpha.out().contains("terok-l0:l0-a"), alpha.out());
        assertFalse(alpha.out().contains("l1-b") || alpha.out().contains("l1-c") || alpha.out().contains("beta"), "only alpha's layers: " + alpha.out());

        Cli none = terok("image", "list", "gamma");
        assertEquals(1, none.exit(), none::toString);
        assertTrue(none.err().contains("no image of project gamma") && none.err().contains("alpha, beta"), none.err());
        Cli bad = terok("image", "list", "../x");
        assertEquals(2, bad.exit(), bad::toString);
        assertTrue(bad.err().contains("PROJECT"), bad.err());
    }

    @Test
    @Order(2)
    void usageSumsWhatEachLayerAddsPerKindAndProject() {
        Cli r = terok("image", "usage");
        assertEquals(0, r.exit(), r::toString);
        // l1-a 2 MiB + l1-b 3 MiB + l1-c 1 MiB (plus a few bytes and the image metadata)
        assertTrue(r.out().lines().anyMatch(l -> l.matches("L1\\s+3\\s+6\\.0 MiB")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("L2\\s+3\\s+1\\.0 MiB")), r.out());
        // alpha: its two L2s (0 + 1 MiB) own, plus l1-a (2 MiB) and l0-a shared
        assertTrue(r.out().lines().anyMatch(l -> l.matches("alpha\\s+1\\.0 MiB\\s+3\\.0 MiB")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("beta\\s+[0-9.]+ (B|KiB)\\s+3\\.0 MiB")), r.out());
    }

    @Test
    @Order(3)
    void cleanupRemovesOnlyOrphansAndNeverAnImageAContainerUses() throws Exception {
        Cli dry = terok("image", "cleanup", "--dry-run");
        assertEquals(0, dry.exit(), dry::toString);
        assertTrue(dry.out().contains("would remove L1 localhost/terok-l1:l1-c"), dry.out());
        assertTrue(dry.out().contains("would remove 1 orphaned layer(s)"), "the old alpha image has a container: " + dry.out());
        assertTrue(exists("localhost/terok-l1:l1-c"), "a dry run removes nothing");

        // The container goes: now the old alpha image is an orphan too, the current ones stay.
        podman("rm", "old-alpha-task");
        Cli real = terok("image", "cleanup");
        assertEquals(0, real.exit(), real::toString);
        assertTrue(real.out().contains("removed 2 orphaned layer(s)"), real.out());
        assertFalse(exists("localhost/terok-l1:l1-c"));
        assertFalse(exists("localhost/terok-l2-alpha:l2-alpha-old"));
        for (String kept : new String[] {"localhost/terok-l2-alpha:l2-alpha-new", "localhost/terok-l2-beta:l2-beta",
                "localhost/terok-l1:l1-a", "localhost/terok-l1:l1-b", "localhost/terok-l0:l0-a", "localhost/tiny-base:1"}) {
            assertTrue(exists(kept), kept + " kept");
        }

        // Projects kept as files: beta has none, so its image and the agent layer only it used are orphans; but a
        // stopped container of beta's image still protects both.
        Files.createDirectories(dir.resolve("config/projects"));
        Files.writeString(dir.resolve("config/projects/alpha.yaml"), "name: alpha\n");
        podman("create", "--name", "beta-task", "--network=none", "localhost/terok-l2-beta:l2-beta", "true");
        Cli guarded = terok("image", "cleanup");
        assertEquals(0, guarded.exit(), guarded::toString);
        assertTrue(guarded.out().contains("removed 0 orphaned layer(s)"), guarded.out());
        assertTrue(exists("localhost/terok-l2-beta:l2-beta"));
        podman("rm", "beta-task");
        Cli gone = terok("image", "cleanup");
        assertEquals(0, gone.exit(), gone::toString);
        assertTrue(gone.out().contains("removed 2 orphaned layer(s)"), gone.out());
        assertFalse(exists("localhost/terok-l2-beta:l2-beta"));
        assertFalse(exists("localhost/terok-l1:l1-b"));
        assertTrue(exists("localhost/terok-l2-alpha:l2-alpha-new") && exists("localhost/terok-l1:l1-a") && exists("localhost/terok-l0:l0-a"));
    }
}
