package io.terok.gate.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.testsupport.Cmd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Repacking for serving, on real repositories checked with the real git: what gets repacked, that nothing is
 * lost (hidden refs and what only they reach included), and that the background path gets there too.
 */
class MaintenanceTest {
    Path tmp;
    Projects projects;
    Maintenance maintenance;

    @BeforeEach
    void setUp() throws IOException {
        Cmd.require(List.of("git"));
        tmp = Files.createTempDirectory("terok-maintenance-test");
        projects = new Projects(tmp.resolve("gate"));
        maintenance = new Maintenance(projects, 300_000);
    }

    @AfterEach
    void tearDown() {
        maintenance.close();
        Cmd.exec(List.of("rm", "-rf", tmp.toString()), null, e -> { }, null, 60);
    }

    private String git(Path repo, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("git", "-C", repo.toString()));
        cmd.addAll(List.of(args));
        Cmd.Output o = Cmd.exec(cmd, null, e -> e.put("GIT_CONFIG_NOSYSTEM", "1"), null, 120);
        assertEquals(0, o.code(), String.join(" ", cmd) + ": " + o.err());
        return o.out();
    }

    /** {@code commits} commits on main (3 objects each) plus one commit only a hidden ref reaches, by fast-import. */
    private Path fill(String project, int commits) {
        projects.create(project, "");
        Path repo = projects.path(project);
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < commits; i++) {
            String msg = "c" + i;
            String data = "content " + i + "\n";
            in.append("commit refs/heads/main\ncommitter T <t@example.invalid> ").append(1700000000 + i).append(" +0000\n")
                    .append("data ").append(msg.length()).append('\n').append(msg).append('\n')
                    .append("M 644 inline f.txt\ndata ").append(data.length()).append('\n').append(data).append('\n');
        }
        in.append("commit refs/terok/upstream/side\ncommitter T <t@example.invalid> 1800000000 +0000\ndata 4\nside\n")
                .append("M 644 inline side.txt\ndata 5\nside\n\n");
        Cmd.Output o = Cmd.exec(List.of("git", "-C", repo.toString(), "fast-import", "--quiet"), null, e -> { }, in.toString(), 120);
        assertEquals(0, o.code(), o.err());
        return repo;
    }

    private static long bitmaps(Path repo) throws IOException {
        try (Stream<Path> s = Files.list(repo.resolve("objects/pack"))) {
            return s.filter(p -> p.toString().endsWith(".bitmap")).count();
        }
    }

    @Test
    void aLargeRepositoryWithoutBitmapsIsRepackedAndLosesNothing() throws Exception {
        Path repo = fill("big", 1000);
        String refs = git(repo, "for-each-ref");
        String side = git(repo, "rev-parse", "refs/terok/upstream/side").trim();
        assertEquals(0, bitmaps(repo));

        assertTrue(maintenance.packIfNeeded("big"));

        assertEquals(1, bitmaps(repo), "the new pack has its reachability bitmaps");
        assertEquals(refs, git(repo, "for-each-ref"), "every ref, hidden ones included, is unchanged");
        git(repo, "cat-file", "-e", side + ":side.txt"); // reached only through a hidden ref, still there
        git(repo, "fsck", "--strict", "--no-dangling");
        assertFalse(maintenance.packIfNeeded("big"), "a packed repository is left alone");
    }

    @Test
    void smallRepositoriesAreNotWorthIt() throws Exception {
        Path repo = fill("small", 20);
        assertFalse(maintenance.packIfNeeded("small"));
        assertEquals(0, bitmaps(repo));
    }

    @Test
    void repositoriesOverTheLimitAreLeftToTheOperator() throws Exception {
        Path repo = fill("huge", 1000);
        try (Maintenance tight = new Maintenance(projects, 2_500)) {
            assertFalse(tight.packIfNeeded("huge"));
        }
        assertEquals(0, bitmaps(repo));
    }

    @Test
    void aScheduledCheckRepacksInTheBackground() throws Exception {
        Path repo = fill("later", 1000);
        maintenance.schedule("later");
        maintenance.schedule("later"); // a second request while one waits is merged
        for (int i = 0; i < 300 && bitmaps(repo) == 0; i++) {
            Thread.sleep(100);
        }
        // The background repack may still be removing the old pack: a check in the foreground takes the same
        // project lock, so it returns only once that is done (and finds nothing left to do).
        assertFalse(maintenance.packIfNeeded("later"));
        assertEquals(1, bitmaps(repo));
        git(repo, "fsck", "--strict", "--no-dangling");
    }

    @Test
    void aProjectDeletedBeforeItsTurnIsSkipped() {
        fill("gone", 1000);
        projects.delete("gone");
        assertFalse(maintenance.packIfNeeded("gone"));
    }
}
