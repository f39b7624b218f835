package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * `terok project init|list|show|delete` and `terok config paths` through the real CLI and services: the project file,
 * the gate mirror of a real upstream, the agent images built with podman (claude and codex over the CI base, layers
 * reused from the cache), and bad input that leaves nothing behind.
 */
class ProjectEndToEndTest {
    static final String BASE = "localhost/terok-agent-base:bookworm";
    /** A project name of this run's own ({@link Terok#projectName}). */
    static final String NAME = Terok.projectName("projtest");
    static Terok terok;
    static Path upstream;

    @BeforeAll
    static void up() throws Exception {
        terok = new Terok(Terok.freshHome("project", null), null);
        // The agents staged once per machine (as PodmanBuildTest does), outside the repository.
        terok.env.put("TEROK_PROJECTS_STAGE_DIR", System.getenv().getOrDefault("TEROK_AGENTS_STAGE", "/var/cache/terok-ci/agents-stage"));
        terok.run("services", "up").ok();
        upstream = terok.home.resolve("upstream.git");
        Path seed = terok.home.resolve("seed");
        terok.git(terok.home, "init", "-q", "--bare", "-b", "main", upstream.toString());
        terok.git(terok.home, "clone", "-q", upstream.toString(), seed.toString());
        terok.git(seed, "commit", "-q", "--allow-empty", "-m", "initial");
        terok.git(seed, "push", "-q", "origin", "HEAD:main");
    }

    @AfterAll
    static void down() {
        terok.run("project", "delete", NAME);
        terok.run("services", "down");
    }

    Path projectFile(String name) {
        return terok.home.resolve("config").resolve("projects").resolve(name + ".yaml");
    }

    @Test
    void initCreatesEverythingOnceAndDeleteRemovesIt() throws Exception {
        Terok.Result r = terok.run("project", "init", NAME, "--upstream", "file://" + upstream, "--agents", "claude,codex",
                "--agent", "claude", "--base-image", BASE, "--git-name", "Demo Agent", "--git-email", "agent@example.com").ok();
        assertTrue(Files.isRegularFile(projectFile(NAME)));
        assertTrue(r.out().contains("image     localhost/terok-l2-" + NAME + ":"), r.out());
        assertFalse(r.out().contains("(not built)"), r.out());
        assertTrue(r.err().contains("created the gate mirror"), "progress is streamed: " + r.err());
        assertTrue(r.err().contains("L2"), "the image build's progress: " + r.err());
        assertTrue(r.out().contains("upstream  file://" + upstream + "  branch main"), r.out());
        assertTrue(r.out().contains("git       Demo Agent <agent@example.com>  (project)"), r.out());
        assertTrue(terok.run("gate", "list").ok().out().contains(NAME + "  file://" + upstream));

        Terok.Result again = terok.run("project", "init", NAME).ok();
        assertFalse(again.err().contains("created the gate mirror"), "a second init creates nothing: " + again.err());
        Terok.Result conflict = terok.run("project", "init", NAME, "--upstream", "file:///elsewhere");
        assertNotEquals(0, conflict.exitCode());
        assertTrue(conflict.err().contains("upstream.url: project exists with"), conflict.err());

        assertTrue(terok.run("project", "list").ok().out().contains(NAME));
        Terok.Result show = terok.run("project", "show", NAME).ok();
        assertTrue(show.out().contains("agents    claude,codex  default claude"), show.out());

        Terok.Result paths = terok.run("config", "paths").ok();
        assertTrue(paths.out().contains(terok.home.resolve("config").resolve("projects").toString()), paths.out());
        assertTrue(paths.out().contains("$TEROK_CONFIG_DIR"), paths.out());

        String image = show.out().lines().filter(l -> l.startsWith("image")).findFirst().orElseThrow().split("\\s+")[1];
        Terok.Result del = terok.run("project", "delete", NAME).ok();
        assertTrue(del.out().contains("removed gate mirror " + NAME), del.out());
        assertTrue(del.out().contains("removed image " + image), del.out());
        assertFalse(Files.exists(projectFile(NAME)));
        assertFalse(terok.run("gate", "list").ok().out().contains(NAME));
        assertNotEquals(0, Terok.exec(java.util.List.of("podman", "image", "exists", image), java.util.Map.of(), 30).exitCode());
    }

    private void refusedLeavingNothing(String name, String expected, String... args) {
        Terok.Result r = terok.run(args);
        assertNotEquals(0, r.exitCode(), r.out());
        assertTrue(r.err().contains(expected), "the error names the field: " + r.err());
        assertFalse(Files.exists(projectFile(name)), "no project file");
        assertFalse(terok.run("gate", "list").ok().out().contains(name + " "), "no gate mirror");
    }

    @Test
    void badInputIsAnErrorNamingTheFieldAndCreatesNothing() {
        refusedLeavingNothing("Bad_Name", "name:", "project", "init", "Bad_Name", "--upstream", "file://" + upstream);
        refusedLeavingNothing("nowhere", "upstream.url:", "project", "init", "nowhere", "--upstream", "file:///no/such/repo.git",
                "--agents", "codex", "--base-image", BASE);
        refusedLeavingNothing("ghost", "agents.include:", "project", "init", "ghost", "--upstream", "file://" + upstream,
                "--agents", "nosuchagent", "--base-image", BASE);
        refusedLeavingNothing("nourl", "upstream.url: required", "project", "init", "nourl");
        refusedLeavingNothing("badbase", "image.base:", "project", "init", "badbase", "--upstream", "file://" + upstream,
                "--base-image", "Not An Image");
        Terok.Result missing = terok.run("project", "show", "absent");
        assertNotEquals(0, missing.exitCode());
        assertTrue(missing.err().contains("no project absent"), missing.err());
    }
}
