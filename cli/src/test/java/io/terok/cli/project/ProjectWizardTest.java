package io.terok.cli.project;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.agents.roster.Roster;
import io.terok.cli.Cli;
import io.terok.api.v1.ProjectSettings;
import io.terok.api.v1.SecurityMode;
import io.terok.cli.core.CliException;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wizard's questions driven by scripted answers, against the shipped roster. */
class ProjectWizardTest {
    private final ByteArrayOutputStream shown = new ByteArrayOutputStream();

    private Optional<ProjectSettings> answer(String... lines) {
        BufferedReader in = new BufferedReader(new StringReader(String.join("\n", lines) + "\n"));
        return new ProjectWizard(in, new PrintStream(shown, true, StandardCharsets.UTF_8), Roster.shipped()).ask();
    }

    private String shown() {
        return shown.toString(StandardCharsets.UTF_8);
    }

    @Test
    void badAnswersAreAskedAgainNamingTheFieldAndConfirmedSettingsAreWhatInitGets() {
        Optional<ProjectSettings> s = answer(
                "Bad Name", "demo",
                "", "file:///srv/demo.git",
                "-evil", "trunk",
                "",
                "nosuchagent", "",
                "nosuchprovider", "anthropic",
                "claude-sonnet-4",
                "dev, strict",
                "Ada Lovelace", "ada@example.org",
                "y");
        assertTrue(s.isPresent(), shown());
        ProjectSettings p = s.get();
        assertEquals("demo", p.getName());
        assertEquals("file:///srv/demo.git", p.getUpstreamUrl());
        assertEquals("trunk", p.getDefaultBranch());
        assertEquals("claude", p.getDefaultAgent(), "an empty answer takes the default agent");
        assertEquals("anthropic", p.getDefaultProvider());
        assertEquals("claude-sonnet-4", p.getDefaultModel());
        assertEquals(List.of("dev", "strict"), p.getShieldProfilesList());
        assertEquals("Ada Lovelace", p.getGitName());
        assertEquals("ada@example.org", p.getGitEmail());
        assertEquals(SecurityMode.SECURITY_MODE_GATEKEEPING, p.getSecurityMode(), "an empty answer: gatekeeping, the default");
        String out = shown();
        assertTrue(out.contains("security  gatekeeping"), out);
        assertTrue(out.contains("name: 'Bad Name' is not a project name"), out);
        assertTrue(out.contains("upstream.url: required"), out);
        assertTrue(out.contains("upstream.branch: '-evil' is not a valid git branch name"), out);
        assertTrue(out.contains("agents.default: 'nosuchagent' is not a tested agent"), out);
        assertTrue(out.contains("agents.provider: 'nosuchprovider' is not a provider of claude"), out);
        assertTrue(out.contains("Create project demo? [y/N]"), out);
    }

    /**
     * Every field the wizard asks is refused, naming the field as the project file spells it, with the file's own rule
     * (ProjectRules): what the file would refuse at init is never taken here first.
     */
    @Test
    void eachFieldsBadInputIsRefusedNamingTheFieldWithTheProjectFilesRule() {
        Optional<ProjectSettings> s = answer(
                "demo",
                "ftp://example.org/demo.git", "file:///srv/demo.git",
                "main..x", "main",
                "offline", "online", "gatekeeping",
                "Claude", "claude",
                "Anthropic", "anthropic",
                "bad model!", "claude-opus",
                "dev, Strict!", "dev",
                "Ada <ada>", "Ada",
                "not-an-address", "ada@example.org",
                "y");
        assertTrue(s.isPresent(), shown());
        String out = shown();
        for (String refused : List.of(
                "upstream.url: 'ftp://example.org/demo.git' is not a file:///, https://, ssh:// or user@host:path URL",
                "upstream.branch: 'main..x' is not a valid git branch name",
                "agents.default: 'Claude' does not match",
                "agents.provider: 'Anthropic' does not match",
                "agents.model: 'bad model!' does not match",
                "shield.profiles: 'Strict!' does not match",
                "git.name: a person's name",
                "git.email: 'not-an-address' is not an e-mail address",
                "security: 'offline' is not gatekeeping or online",
                // online for a path on this machine: init --online's own words (OnlineUpstream), asked again
                "security: online lets the task push to its upstream itself, so the task's firewall must open the upstream's"
                        + " host and port; 'file:///srv/demo.git' is a path on this machine, which a container cannot reach;"
                        + " use security: gatekeeping (the default) for it; try again")) {
            assertTrue(out.contains(refused + "") , "refused: " + refused + "\n" + out);
        }
        assertEquals("claude-opus", s.get().getDefaultModel());
        assertEquals(List.of("dev"), s.get().getShieldProfilesList());
    }

    @Test
    void emptyAnswersLeaveTheDefaultsToInit() {
        ProjectSettings p = answer("demo", "https://example.org/demo.git", "", "", "", "", "", "", "", "", "yes").orElseThrow();
        assertEquals("", p.getDefaultBranch(), "runtime takes the upstream's HEAD");
        assertEquals("claude", p.getDefaultAgent());
        assertEquals("", p.getDefaultProvider());
        assertEquals(0, p.getShieldProfilesCount());
        assertEquals("", p.getGitName(), "runtime takes config.yaml's git.human_name, else host git");
    }

    @Test
    void aDeclinedSummaryGivesNothingToCreate() {
        assertTrue(answer("demo", "file:///srv/demo.git", "", "", "", "", "", "", "", "", "n").isEmpty());
        assertTrue(answer("demo", "file:///srv/demo.git", "", "", "", "", "", "", "", "", "").isEmpty(), "the default is no");
    }

    @Test
    void onlineIsTakenForAnSshUpstreamAndShownInTheSummary() {
        ProjectSettings p = answer("web", "git@git.example.org:team/web.git", "", "online", "", "", "", "", "", "", "y").orElseThrow();
        assertEquals(SecurityMode.SECURITY_MODE_ONLINE, p.getSecurityMode());
        assertTrue(shown().contains("Security: gatekeeping (you review and forward the agent's work) or online (weaker:"), shown());
        assertTrue(shown().contains("security  online (the agent pushes upstream itself; the gate only mirrors)"), shown());
        // An https upstream the firewall can open is taken as init takes it; a loopback one is refused, as init refuses it.
        ProjectSettings https = answer("web", "https://git.example.org/web.git", "", "ONLINE", "", "", "", "", "", "", "y").orElseThrow();
        assertEquals(SecurityMode.SECURITY_MODE_ONLINE, https.getSecurityMode());
        ProjectSettings local = answer("web", "ssh://git@127.0.0.1/web.git", "", "online", "", "", "", "", "", "", "", "y").orElseThrow();
        assertEquals(SecurityMode.SECURITY_MODE_GATEKEEPING, local.getSecurityMode());
        assertTrue(shown().contains("security: online lets the task push to its upstream itself") && shown().contains("is at 127.0.0.1"), shown());
    }

    @Test
    void inputEndingEarlyIsAClearErrorNotAProject() {
        CliException e = assertThrows(CliException.class, () -> answer("demo"));
        assertTrue(e.getMessage().contains("nothing was created"), e.getMessage());
    }

    @Test
    void withoutATerminalTheVerbRefusesAndPointsToInit(@TempDir Path config) {
        // surefire's JVM has no console, as under a script or a pipe.
        Cli r = Cli.run(Map.of("TEROK_CONFIG_DIR", config.toString()), "project", "wizard");
        assertEquals(CliException.USAGE, r.exit(), r.toString());
        assertTrue(r.err().contains("needs a terminal") && r.err().contains("terok project init NAME --upstream URL"), r.toString());
    }

    @Test
    void anAgentControlledLookingAnswerIsShownDefused() {
        answer("demo", "file:///srv/demo.git", "", "", "", "", "", "", "Evil\u001b[2J", "", "", "n");
        assertFalse(shown().contains("\u001b"), "no escape byte reaches the terminal");
        assertTrue(shown().contains("git.name: a person's name"), "refused as the project file refuses it: " + shown());
    }
}
