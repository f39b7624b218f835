package io.terok.cli.project;

import static io.terok.cli.core.ServiceApi.PROJECTS;

import io.terok.agents.roster.Roster;
import io.terok.api.v1.DeleteProjectSettingsRequest;
import io.terok.api.v1.InitProjectEvent;
import io.terok.api.v1.InitProjectRequest;
import io.terok.api.v1.ListProjectSettingsRequest;
import io.terok.api.v1.ListProjectSettingsResponse;
import io.terok.api.v1.ProjectInfo;
import io.terok.api.v1.ProjectServiceGrpc.ProjectServiceBlockingStub;
import io.terok.api.v1.ProjectSettings;
import io.terok.api.v1.ResourceLimits;
import io.terok.api.v1.SecurityMode;
import io.terok.api.v1.ShowProjectRequest;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Verb;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code terok project ...}: a repository plus the settings its tasks share (runtime's ProjectService). */
@Command(name = "project", description = "Projects: a repository and the settings its agent tasks share (<config dir>/projects/NAME.yaml).",
        subcommands = {ProjectCommand.Init.class, ProjectCommand.Wizard.class, ProjectCommand.ListVerb.class, ProjectCommand.Show.class, ProjectCommand.Delete.class})
public final class ProjectCommand {
    /** An image build from a cold cache takes minutes. */
    static final Duration INIT = Duration.ofMinutes(30);

    @Command(name = "init", description = {"Create (or complete) a project: its file, the gate mirror, an SSH key in the vault for an ssh upstream "
            + "(printed, to add as a deploy key), and its agent images. Safe to run again; nothing is left half-created when it fails."})
    static final class Init extends Verb {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--upstream", paramLabel = "URL", description = "file:///path, https://..., ssh://... or user@host:path (required for a new project).")
        String upstream = "";
        @Option(names = "--branch", paramLabel = "B", description = "Default branch (the upstream's HEAD when not given).")
        String branch = "";
        @Option(names = "--base-image", paramLabel = "IMAGE", description = "The L0 base image (default: runtime's terok.projects.default-base-image).")
        String baseImage = "";
        @Option(names = "--family", paramLabel = "deb|rpm", description = "The base's package family (detected when not given).")
        String family = "";
        @Option(names = "--agents", paramLabel = "A,B", split = ",", description = "Agents built into the image (default: all tested ones).")
        List<String> agents = new ArrayList<>();
        @Option(names = "--agent", paramLabel = "A", description = "The default agent of the project's tasks.")
        String agent = "";
        @Option(names = "--provider", paramLabel = "P", description = "The default provider.")
        String provider = "";
        @Option(names = "--model", paramLabel = "M", description = "The default model.")
        String model = "";
        @Option(names = "--shield-profile", paramLabel = "P", description = "Shield profile for every task (repeatable).")
        List<String> profiles = new ArrayList<>();
        @Option(names = "--allow", paramLabel = "HOST", description = "Domain, IP or CIDR every task may reach (repeatable).")
        List<String> allows = new ArrayList<>();
        @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit per task, e.g. 4g.")
        String memory;
        @Option(names = "--cpus", paramLabel = "N", description = "CPU limit per task.")
        double cpus;
        @Option(names = "--gpu", paramLabel = "CDI", description = "CDI device for every task, e.g. nvidia.com/gpu=all (repeatable).")
        List<String> gpus = new ArrayList<>();
        @Option(names = "--env", paramLabel = "K=V", description = "Environment for every task (repeatable).")
        Map<String, String> env = Map.of();
        @Option(names = "--git-name", paramLabel = "NAME", description = "Author of the agent's commits (else config.yaml's git.human_name, else host git).")
        String gitName = "";
        @Option(names = "--git-email", paramLabel = "EMAIL", description = "E-mail of the agent's commits.")
        String gitEmail = "";
        @Option(names = "--online", description = "Security mode online: the agent pushes to the upstream itself (an ssh or https upstream;"
                + " the gate only mirrors and keeps a checkpoint). Weaker than the default, gatekeeping: see docs/tasks.md.")
        boolean online;

        @Override
        public Integer call() {
            Context ctx = ctx();
            ProjectSettings.Builder s = ProjectSettings.newBuilder().setName(name).setUpstreamUrl(upstream)
                    .setDefaultBranch(branch).setBaseImage(baseImage).setFamily(family).addAllAgents(agents)
                    .setDefaultAgent(agent).setDefaultProvider(provider).setDefaultModel(model)
                    .addAllShieldProfiles(profiles).addAllShieldAllow(allows).addAllGpus(gpus).putAllEnv(env)
                    .setGitName(gitName).setGitEmail(gitEmail);
            if (online) {
                s.setSecurityMode(SecurityMode.SECURITY_MODE_ONLINE);
            }
            if (memory != null || cpus > 0) {
                ResourceLimits.Builder l = ResourceLimits.newBuilder().setCpus(Math.max(cpus, 0));
                if (memory != null) {
                    l.setMemoryBytes(memoryBytes(memory));
                }
                s.setLimits(l);
            }
            return init(ctx, s.build());
        }

        static long memoryBytes(String v) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,12})([kmgKMG]?)[bB]?").matcher(v.strip());
            if (!m.matches()) {
                throw CliException.badValue("--memory", v, "a size such as 512m or 4g");
            }
            long unit = switch (m.group(2).toLowerCase()) {
                case "k" -> 1024L;
                case "m" -> 1024L << 10;
                case "g" -> 1024L << 20;
                default -> 1L;
            };
            return Long.parseLong(m.group(1)) * unit;
        }
    }

    /** Init's RPC and output, shared by init and the wizard so both create a project the same way. */
    static int init(Context ctx, ProjectSettings s) {
        String name = s.getName();
        ProjectInfo info;
        try (ServiceClient<ProjectServiceBlockingStub> rt = PROJECTS.connect(ctx)) {
            info = rt.call("cannot initialise project " + name, () -> {
                Iterator<InitProjectEvent> events = rt.stub(INIT).init(InitProjectRequest.newBuilder().setSettings(s).build());
                ProjectInfo last = null;
                while (events.hasNext()) {
                    InitProjectEvent e = events.next();
                    if (e.hasProject()) {
                        last = e.getProject();
                    } else {
                        ctx.err.println(Printable.line(e.getProgress(), 4096));
                    }
                }
                return last;
            });
        }
        if (info == null) {
            throw new CliException("runtime ended project init without an answer", "see `terok project show " + name + "`");
        }
        print(info, ctx.out);
        return 0;
    }

    @Command(name = "wizard", description = "The same as `project init`, by questions on a terminal: each answer checked at once, "
            + "a summary to confirm, then init runs.")
    static final class Wizard extends Verb {
        @Override
        public Integer call() {
            Context ctx = ctx();
            if (System.console() == null) {
                throw new CliException("project wizard asks questions and needs a terminal (stdin and stdout are not a TTY)",
                        "use `terok project init NAME --upstream URL [--branch B --agent A ...]`", CliException.USAGE, null);
            }
            Roster roster;
            try {
                roster = Roster.load(ctx.paths.configDir().resolve("agents"));
            } catch (ServiceException e) {
                throw new CliException(e.getMessage(), "fix or remove that file in " + ctx.paths.configDir().resolve("agents"));
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            Optional<ProjectSettings> s = new ProjectWizard(in, ctx.out, roster).ask();
            if (s.isEmpty()) {
                ctx.err.println("not confirmed: nothing was created");
                return CliException.FAILED;
            }
            return init(ctx, s.get());
        }
    }

    static void print(ProjectInfo i, PrintStream out) {
        ProjectSettings s = i.getSettings();
        out.println("project   " + s.getName() + "  (" + i.getConfigPath() + ")");
        out.println("upstream  " + Printable.line(s.getUpstreamUrl(), 300) + (s.getDefaultBranch().isEmpty() ? "" : "  branch " + Printable.line(s.getDefaultBranch())));
        out.println("security  " + (s.getSecurityMode() == SecurityMode.SECURITY_MODE_ONLINE ? "online (the gate only mirrors)" : "gatekeeping"));
        out.println("image     " + (i.getImage().isEmpty() ? "?" : i.getImage() + (i.getImageBuilt() ? "" : "  (not built)"))
                + "  base " + s.getBaseImage());
        out.println("agents    " + String.join(",", s.getAgentsList()) + (s.getDefaultAgent().isEmpty() ? "" : "  default " + s.getDefaultAgent())
                + (s.getDefaultProvider().isEmpty() ? "" : "  provider " + s.getDefaultProvider())
                + (s.getDefaultModel().isEmpty() ? "" : "  model " + s.getDefaultModel()));
        if (s.getShieldProfilesCount() + s.getShieldAllowCount() > 0) {
            out.println("shield    profiles " + s.getShieldProfilesList() + "  allow " + s.getShieldAllowList());
        }
        out.println("git       " + Printable.line(i.getGitName()) + " <" + Printable.line(i.getGitEmail()) + ">  (" + i.getGitIdentitySource() + ")");
        if (!i.getSshPublicKey().isEmpty()) {
            out.println("deploy key (add it to the upstream with write access):");
            out.println("  " + Printable.line(i.getSshPublicKey(), 2000));
        }
        if (!i.getTaskSshPublicKey().isEmpty()) {
            out.println("task key (online mode: the tasks push upstream with it, through the vault's agent; add it with write access):");
            out.println("  " + Printable.line(i.getTaskSshPublicKey(), 2000));
        }
        i.getWarningsList().forEach(w -> out.println("WARNING: " + Printable.line(w, 1000)));
    }

    @Command(name = "list", description = "Every project, its upstream and image.")
    static final class ListVerb extends Verb {
        @Override
        public Integer call() {
            ListProjectSettingsResponse r = PROJECTS.call(ctx(), "cannot list projects", s -> s.list(ListProjectSettingsRequest.getDefaultInstance()));
            ctx().out.printf("%-20s %-12s %-10s %s%n", "PROJECT", "AGENTS", "IMAGE", "UPSTREAM");
            for (ProjectInfo i : r.getProjectsList()) {
                ctx().out.printf("%-20s %-12s %-10s %s%n", i.getSettings().getName(), String.join(",", i.getSettings().getAgentsList()),
                        i.getImageBuilt() ? "built" : "not built", Printable.line(i.getSettings().getUpstreamUrl(), 200));
            }
            r.getBrokenList().forEach(b -> ctx().err.println("WARNING: " + Printable.line(b, 1000)));
            return 0;
        }
    }

    @Command(name = "show", description = "A project's settings, image, deploy key and the git identity of its agents' commits.")
    static final class Show extends Verb {
        @Parameters(index = "0", paramLabel = "PROJECT")
        String project;

        @Override
        public Integer call() {
            print(PROJECTS.call(ctx(), "cannot show project " + project, s -> s.show(ShowProjectRequest.newBuilder().setProject(project).build())), ctx().out);
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete a project: its file, its gate mirror (task branches included) and its SSH keys. Refused while it has tasks.")
    static final class Delete extends Verb {
        @Parameters(index = "0", paramLabel = "PROJECT")
        String project;

        @Override
        public Integer call() {
            PROJECTS.call(ctx(), "cannot delete project " + project,
                    s -> s.delete(DeleteProjectSettingsRequest.newBuilder().setProject(project).build()))
                    .getRemovedList().forEach(l -> ctx().out.println("removed " + l));
            return 0;
        }
    }
}
