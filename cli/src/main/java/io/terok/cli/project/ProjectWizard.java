package io.terok.cli.project;

import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Roster;
import io.terok.api.v1.ProjectSettings;
import io.terok.api.v1.SecurityMode;
import io.terok.cli.core.CliException;
import io.terok.common.Ids;
import io.terok.common.OnlineUpstream;
import io.terok.common.Printable;
import io.terok.common.ProjectRules;
import io.terok.common.ServiceException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The questions of {@code terok project wizard}: the settings {@code terok project init} takes, asked one by one.
 * Each answer is checked at once with the project file's own rules ({@link ProjectRules}, named by the field as the
 * file spells it) and the agent roster, and asked again naming what was wrong; runtime's Init applies the same rules
 * to the whole settings again before anything is created. Plain class so a test drives it with scripted lines.
 */
final class ProjectWizard {
    static final String GATEKEEPING = "gatekeeping";
    static final String ONLINE = "online";

    private final BufferedReader in;
    private final PrintStream out;
    private final Roster roster;

    ProjectWizard(BufferedReader in, PrintStream out, Roster roster) {
        this.in = in;
        this.out = out;
        this.roster = roster;
    }

    /** The settings to init with, or empty when the operator declined the summary. */
    Optional<ProjectSettings> ask() {
        ProjectSettings.Builder s = ProjectSettings.newBuilder();
        s.setName(ask("Project name", "", v -> Ids.project("name", v)));
        s.setUpstreamUrl(ask("Upstream URL (file:///path, https://..., ssh://... or user@host:path)", "",
                v -> ProjectRules.upstreamUrl("upstream.url", v)));
        s.setDefaultBranch(ask("Default branch (empty: the upstream's HEAD)", "", v -> v.isEmpty() ? v : ProjectRules.branch("upstream.branch", v)));
        String upstream = s.getUpstreamUrl();
        s.setSecurityMode(ask("Security: gatekeeping (you review and forward the agent's work) or online (weaker: the agent"
                + " pushes to the upstream itself, unreviewed; ssh, or https needing no login)", GATEKEEPING, v -> security(v, upstream))
                .equals(ONLINE) ? SecurityMode.SECURITY_MODE_ONLINE : SecurityMode.SECURITY_MODE_GATEKEEPING);
        AgentDefinition agent = roster.get(ask("Agent (" + String.join(", ", tested()) + ")",
                tested().contains("claude") ? "claude" : tested().get(0), v -> {
                    if (!tested().contains(ProjectRules.matching("agents.default", v, ProjectRules.AGENT))) {
                        throw ServiceException.invalid("agents.default", "'" + Printable.line(v, 40) + "' is not a tested agent of the roster ("
                                + String.join(", ", tested()) + ")");
                    }
                    return v;
                }));
        s.setDefaultAgent(agent.id());
        List<String> providers = List.copyOf(agent.providers().keySet());
        s.setDefaultProvider(ask("Provider (" + String.join(", ", providers) + "; empty: the agent's default)", "", v -> {
            if (!v.isEmpty() && !providers.contains(ProjectRules.matching("agents.provider", v, ProjectRules.PROVIDER))) {
                throw ServiceException.invalid("agents.provider", "'" + Printable.line(v, 40) + "' is not a provider of " + agent.id()
                        + " (" + String.join(", ", providers) + ")");
            }
            return v;
        }));
        s.setDefaultModel(ask("Model (empty: the provider's default)", "",
                v -> v.isEmpty() ? v : ProjectRules.matching("agents.model", v, ProjectRules.MODEL)));
        String profiles = ask("Shield profiles, comma-separated (empty: the default profile)", "",
                v -> String.join(",", ProjectRules.commaList("shield.profiles", v, ProjectRules.PROFILE)));
        if (!profiles.isEmpty()) {
            s.addAllShieldProfiles(List.of(profiles.split(",")));
        }
        s.setGitName(ask("Author name of the agent's commits (empty: config.yaml's git.human_name, else host git)", "",
                v -> v.isEmpty() ? v : ProjectRules.gitName("git.name", v)));
        s.setGitEmail(ask("Author e-mail (empty: as for the name)", "", v -> v.isEmpty() ? v : ProjectRules.gitEmail("git.email", v)));

        ProjectSettings settings = s.build();
        out.println();
        out.println("project   " + settings.getName());
        out.println("upstream  " + Printable.line(settings.getUpstreamUrl(), 300) + "  branch "
                + (settings.getDefaultBranch().isEmpty() ? "(upstream's HEAD)" : settings.getDefaultBranch()));
        out.println("security  " + (settings.getSecurityMode() == SecurityMode.SECURITY_MODE_ONLINE
                ? "online (the agent pushes upstream itself; the gate only mirrors)" : "gatekeeping"));
        out.println("agent     " + settings.getDefaultAgent() + "  provider " + orDefault(settings.getDefaultProvider())
                + "  model " + orDefault(Printable.line(settings.getDefaultModel(), 128)));
        out.println("shield    " + (settings.getShieldProfilesCount() == 0 ? "(default)" : Printable.line(String.join(",", settings.getShieldProfilesList()), 300)));
        out.println("git       " + orDefault(Printable.line(settings.getGitName(), 128)) + " <" + orDefault(Printable.line(settings.getGitEmail(), 256)) + ">");
        String yes = ask("Create project " + settings.getName() + "? [y/N]", "n", v -> v);
        return yes.equalsIgnoreCase("y") || yes.equalsIgnoreCase("yes") ? Optional.of(settings) : Optional.empty();
    }

    /**
     * The security answer: gatekeeping, or online for an upstream a task's firewall can open, refused otherwise with
     * the words `project init --online` uses ({@link OnlineUpstream}, the rule runtime applies again at init).
     */
    static String security(String answer, String upstream) {
        String v = answer.toLowerCase(java.util.Locale.ROOT);
        if (v.equals(GATEKEEPING)) {
            return v;
        }
        if (!v.equals(ONLINE)) {
            throw ServiceException.invalid("security", "'" + Printable.line(answer, 40) + "' is not gatekeeping or online");
        }
        OnlineUpstream.of(upstream);
        return v;
    }

    private List<String> tested() {
        return roster.all().stream().filter(a -> !a.untested()).map(AgentDefinition::id).toList();
    }

    private static String orDefault(String v) {
        return v.isEmpty() ? "(default)" : v;
    }

    /** Asks until {@code check} takes the answer (empty line: {@code fallback}); its error is shown and the question repeated. */
    private String ask(String question, String fallback, Function<String, String> check) {
        while (true) {
            out.print(question + (fallback.isEmpty() ? "" : " [" + fallback + "]") + ": ");
            out.flush();
            String line;
            try {
                line = in.readLine();
            } catch (IOException e) {
                throw new CliException("cannot read the answer: " + e.getMessage(), "use `terok project init` with options");
            }
            if (line == null) {
                out.println();
                throw new CliException("input ended before the wizard was done; nothing was created", "run the wizard again, or use `terok project init`");
            }
            String v = line.strip().isEmpty() ? fallback : line.strip();
            try {
                return check.apply(v);
            } catch (ServiceException e) {
                out.println("  " + Printable.line(e.getMessage(), 400) + "; try again");
            }
        }
    }
}
