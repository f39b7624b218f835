package io.terok.runtime.agenttask;

import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Invocation;
import io.terok.agents.roster.Roster;
import io.terok.agents.roster.TaskConfig;
import io.terok.api.v1.AgentTask;
import io.terok.api.v1.AgentTaskOutcome;
import io.terok.api.v1.Commit;
import io.terok.api.v1.InteractiveCommand;
import io.terok.api.v1.SickbayReport;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.ProjectSettings;
import io.terok.api.v1.PushedCommit;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.Task;
import io.terok.api.v1.VolumeMount;
import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.PrivateFiles;
import io.terok.common.ProtoTime;
import io.terok.common.ServiceException;
import io.terok.runtime.compose.UndoStack;
import io.terok.runtime.project.GitIdentity;
import io.terok.common.OnlineUpstream;
import io.terok.runtime.project.ProjectPeers;
import io.terok.runtime.project.ProjectSetup;
import io.terok.runtime.task.TaskManager;
import io.terok.runtime.trace.StepTimes;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Headless agent tasks: launch a task container from the project's image through runtime's launch path, clone the
 * workspace from the gate onto the task's branch, seed the task's own agent configuration, run the agent (argv, never
 * a shell) with its output streamed and kept, commit and push what it left uncommitted, and report how it ended and
 * the commits on its branch. Plain Java over {@link AgentContainers}, {@link ProjectPeers} and the project store.
 */
public final class AgentTaskRunner {
    private static final Logger LOG = Logger.getLogger(AgentTaskRunner.class);
    static final String HOME = "/home/dev";
    static final String WORKSPACE = "/workspace";
    /** Stands for the phantom token while rendering: the container's environment (from the vault) carries the real one. */
    static final String TOKEN_IN_ENVIRONMENT = "terok-phantom-token-is-in-the-environment";
    private static final Duration GIT = Duration.ofMinutes(2);

    /** One event of a run: a progress line of terok's, a line of the agent's output, or the summary. */
    public interface Events {
        void progress(String line);

        void output(String line);
    }

    private final ProjectSetup projects;
    private final ProjectPeers peers;
    private final AgentContainers containers;
    private final AgentTaskStore store;
    private final Supplier<Roster> roster;
    /** Tasks whose agent runs now: one run at a time per task. */
    private final Map<String, Boolean> running = new ConcurrentHashMap<>();
    /** Tasks an operator stopped while their agent ran: the agent's end (killed with the container) is not a failure. */
    private final java.util.Set<String> stopRequested = ConcurrentHashMap.newKeySet();
    /** Resolves an online upstream's host for the task's firewall (the host's resolver; a table in unit tests). */
    OnlineUpstream.Resolver resolver = OnlineUpstream.Resolver.SYSTEM;

    public AgentTaskRunner(ProjectSetup projects, ProjectPeers peers, AgentContainers containers, AgentTaskStore store,
            Supplier<Roster> roster) {
        this.projects = projects;
        this.peers = peers;
        this.containers = containers;
        this.store = store;
        this.roster = roster;
    }

    public AgentTaskStore store() {
        return store;
    }

    /** What a run request resolves to before anything is created. */
    record Plan(ProjectSettings project, AgentDefinition agent, String provider, String model, String name, String branch) {
    }

    Plan plan(String project, String prompt, String agentId, String provider, String model, String name, String branch,
            int timeoutSeconds, boolean interactive) {
        Ids.project("project", project);
        ProjectSettings p = projects.store().get(project);
        ProjectSetup.online(p); // a project file edited to online by hand, with an upstream no firewall can open
        if (interactive && prompt != null && !prompt.isEmpty()) {
            throw ServiceException.invalid("prompt", "must be empty for an interactive task (type it in the session)");
        }
        if (!interactive && (prompt == null || prompt.isBlank())) {
            throw ServiceException.invalid("prompt", "required for a headless run (without one the task is interactive)");
        }
        if (timeoutSeconds < 0) {
            throw ServiceException.invalid("timeout_seconds", "must be 0 (none) or more");
        }
        Roster r = roster.get();
        List<AgentDefinition> inImage = r.select(p.getAgentsList().isEmpty() ? List.of("all") : p.getAgentsList());
        String id = !agentId.isEmpty() ? agentId : !p.getDefaultAgent().isEmpty() ? p.getDefaultAgent()
                : inImage.isEmpty() ? "" : inImage.get(0).id();
        AgentDefinition agent = inImage.stream().filter(a -> a.id().equals(id)).findFirst()
                .orElseThrow(() -> ServiceException.invalid("agent", "'" + Printable.line(id, 40) + "' is not in project "
                        + project + "'s image (it has " + inImage.stream().map(AgentDefinition::id).toList() + ")"));
        boolean projectDefault = agent.id().equals(p.getDefaultAgent()) || p.getDefaultAgent().isEmpty();
        String prov = !provider.isEmpty() ? provider
                : projectDefault && !p.getDefaultProvider().isEmpty() ? p.getDefaultProvider() : agent.defaultProvider();
        if (agent.provider(prov).isEmpty()) {
            throw ServiceException.invalid("provider", "agent " + agent.id() + " cannot use '" + Printable.line(prov, 40)
                    + "' (it can use " + agent.providers().keySet() + ")");
        }
        String mdl = !model.isEmpty() ? model : projectDefault ? p.getDefaultModel() : "";
        if (!mdl.isEmpty() && !mdl.matches("[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}")) {
            throw ServiceException.invalid("model", "'" + Printable.line(mdl, 80) + "' is not a model name");
        }
        String n = name.isEmpty() ? "" : Ids.taskName("name", name);
        String b = branch.isEmpty() ? "" : Ids.branch("branch", branch);
        if (b.startsWith("refs/heads/")) {
            b = b.substring(11);
        }
        if (!b.isEmpty() && (b.equals(defaultBranch(p)) || store.all().stream().anyMatch(
                t -> t.getProject().equals(project) && t.getBranch().equals(branch)))) {
            throw ServiceException.invalid("branch", "'" + b + "' is the project's default branch or another task's");
        }
        return new Plan(p, agent, prov, mdl, n, b);
    }

    private String defaultBranch(ProjectSettings p) {
        if (!p.getDefaultBranch().isEmpty()) {
            return p.getDefaultBranch();
        }
        String b = peers.gateDefaultBranch(p.getName());
        return b.isEmpty() ? "main" : b;
    }

    /**
     * Starts a task; with {@code interactive} it stops once the workspace and configuration are ready (the client
     * opens the agent's interactive session through {@link #interactive}), else it runs the agent headless.
     */
    public AgentTask run(String project, String prompt, String agentId, String provider, String model, int timeoutSeconds,
            String name, String branch, boolean interactive, Events events) {
        StepTimes times = StepTimes.start("agent task start");
        Plan plan = plan(project, prompt, agentId, provider, model, name, branch, timeoutSeconds, interactive);
        times.mark("plan");
        ProjectSettings p = plan.project();
        String id = TaskManager.newTaskId();
        String taskName = plan.name().isEmpty() ? (p.getName() + "-" + id.substring(0, 8)).replaceAll("^(.{63}).*", "$1") : plan.name();
        String taskBranch = plan.branch().isEmpty() ? "terok/" + id : plan.branch();
        // The project's image is made sure of (when cached, ~20 ms: podman's answers about the base and the image)
        // while the task's record and configuration are written: only the launch needs it. It fails the start like any
        // step after the record: the record and configuration are unwound, once the image's step has ended.
        long imageStart = System.nanoTime();
        CompletableFuture<String> imageStep = CompletableFuture.supplyAsync(() -> {
            String built = projects.images().build(p, events::progress);
            times.took("image (beside the configuration)", imageStart);
            return built;
        }, IMAGE_STEPS);
        String brokerUrl = "http://" + hostForUrl(containers.hostLoopbackAddress()) + ":" + peers.brokerPort();
        // The configuration seeded from the first rendering is what the later interactive or follow-up runs use.
        Invocation.Launch first = render(plan, interactive ? Invocation.Mode.INTERACTIVE : Invocation.Mode.HEADLESS,
                interactive ? null : prompt, brokerUrl);
        UndoStack undo = new UndoStack();
        OnlineUpstream online = ProjectSetup.online(p);
        AgentTask.Builder rec = AgentTask.newBuilder().setId(id).setName(taskName).setProject(p.getName())
                .setAgent(plan.agent().id()).setProvider(plan.provider()).setModel(plan.model()).setBranch(taskBranch)
                .setCreatedAt(ProtoTime.of(Instant.now())).setOutcome(AgentTaskOutcome.AGENT_TASK_OUTCOME_RUNNING)
                .setUpstreamUrl(online == null ? "" : online.url());
        // A headless task starts its agent with the container (TaskStart): no exec round trips before the agent's first
        // request. The old way, the container idle and the workspace and agent exec'd in, stays for what must happen
        // between the launch and the agent: an interactive session, a login file written with the phantom the vault
        // gave the container, the project's shield.allow and an online project's upstream opened in the running
        // firewall (with the workspace's remotes set after the clone).
        boolean fromStart = !interactive && first.loginFile() == null && p.getShieldAllowList().isEmpty() && online == null;
        Task task;
        String start = null;
        AgentContainers.Output output = null;
        String nonce = null;
        String base = null;
        try {
            undo.push("agent task directory", () -> store.delete(id));
            store.save(rec.build());
            Path template = projects.store().dir().resolve(p.getName() + ".d");
            List<TaskConfig.Mount> mounts = new ArrayList<>(TaskConfig.seed(plan.agent(), first, HOME, template, store.config(id)));
            // The workspace is the task's own directory too, owned by the task's user like its configuration: the
            // image's /workspace belongs to uid 1000 of the image, which a rootless (keep-id) task is not.
            Path workspace = PrivateFiles.directory(store.config(id).resolve("workspace"));
            mounts.add(new TaskConfig.Mount(workspace, WORKSPACE, false));
            // The validator resolves symlinks: the owned paths are the real ones, as the plan names them.
            java.util.Set<String> owned = new java.util.HashSet<>();
            for (TaskConfig.Mount m : mounts) {
                owned.add(m.host().toRealPath().toString());
            }
            List<String> command = List.of("sleep", "infinity");
            if (fromStart) {
                base = defaultBranch(p);
                GitIdentity.Resolved who = projects.identity().resolve(p);
                // The nonce reaches the script through a file it removes before the agent starts (TaskStart).
                nonce = TaskStart.nonce();
                Path startDir = PrivateFiles.directory(store.config(id).resolve("start"));
                PrivateFiles.write(startDir.resolve("nonce"), nonce);
                owned.add(startDir.toRealPath().toString());
                mounts.add(new TaskConfig.Mount(startDir, TaskStart.NONCE_DIR, false));
                command = TaskStart.command(TaskStart.NONCE_FILE, base, who.name(), who.email(), "", WORKSPACE, taskBranch,
                        agentArgv(first, plan, timeoutSeconds));
            }
            times.mark("record and configuration");
            String image = joined(imageStep);
            times.mark("image awaited");
            task = containers.launch(LaunchRequest.newBuilder().setRunSpec(spec(p, plan, taskName, image, mounts, command)).build(),
                    id, owned);
            times.mark("launch");
            undo.push("task container", () -> containers.remove(id));
            events.progress("task " + id + " (" + taskName + ") started from " + image);
            if (fromStart) {
                if (task.getWiring().getGateUrl().isEmpty()) {
                    throw ServiceException.precondition("the task has no gate repository (gate opted out?)");
                }
                output = containers.follow(id);
                start = awaitWorkspace(output, new TaskStart.Reader(nonce), times);
                events.progress("workspace " + WORKSPACE + " cloned from the gate on branch " + taskBranch + " (from " + base
                        + ") as the task started; " + plan.agent().id() + " runs in it");
            }
            // The project's shield.allow, opened in this task's running firewall before the agent runs; a refused
            // target fails the launch (undone above) rather than leaving a task without the access it was promised.
            for (String target : p.getShieldAllowList()) {
                peers.shieldAllow(id, target);
                events.progress("firewall: " + target + " allowed (project's shield.allow)");
            }
            if (!fromStart) {
                WorkspaceRemotes remotes = online == null ? WorkspaceRemotes.gatekeeping(gateUrl(task))
                        : openUpstream(id, p, online, gateUrl(task), events);
                start = prepareWorkspace(id, p, taskBranch, remotes, events, times);
                writeLoginFile(id, first, events);
            }
        } catch (java.io.IOException e) {
            imageStep.handle((built, error) -> null).join();
            closeQuietly(output);
            undo.unwind(taskName);
            throw ServiceException.internal("cannot resolve the task's configuration directory: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            imageStep.handle((built, error) -> null).join(); // no progress of its after the call's end
            LOG.warnf("agent task %s could not start, undoing %s: %s", taskName, undo.held(), e.getMessage());
            closeQuietly(output);
            undo.unwind(taskName);
            throw e;
        } finally {
            times.done();
        }
        if (interactive) {
            events.progress("task ready for an interactive session with " + plan.agent().id());
            return rec.setContainerState(containers.state(id)).build();
        }
        if (fromStart) {
            return runAgent(rec.build(), plan, prompt, timeoutSeconds, start, events,
                    new StartedAgent(output, new TaskStart.Reader(nonce), timeoutSeconds));
        }
        return runAgent(rec.build(), plan, prompt, timeoutSeconds, start, events, new ExecdAgent(first, plan, timeoutSeconds));
    }

    /** Where a task's image step runs beside its configuration (daemon threads; idle ones end). */
    private static final java.util.concurrent.ExecutorService IMAGE_STEPS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "agent-task-image");
        t.setDaemon(true);
        return t;
    });

    /** The step's result, or what it threw. */
    private static <T> T joined(CompletableFuture<T> step) {
        try {
            return step.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private static void closeQuietly(AgentContainers.Output output) {
        if (output != null) {
            output.close();
        }
    }

    /** How long the task's start may take to clone the workspace before the agent starts. */
    private static final Duration WORKSPACE_READY = Duration.ofMinutes(2);

    /**
     * Reads the started container's output up to the script's report that the workspace is ready; its start commit.
     * Anything before is git's: it names the failure when the container ends instead.
     */
    private static String awaitWorkspace(AgentContainers.Output output, TaskStart.Reader reader, StepTimes times) {
        Instant deadline = Instant.now().plus(WORKSPACE_READY);
        List<String> before = new ArrayList<>();
        while (true) {
            String line = output.next(deadline);
            if (line == AgentContainers.END || line == AgentContainers.TIMED_OUT) {
                throw ServiceException.precondition("the task's workspace could not be cloned from the gate"
                        + (line == AgentContainers.TIMED_OUT ? " within " + WORKSPACE_READY.toSeconds() + " s" : "")
                        + (before.isEmpty() ? "" : ": " + Printable.line(String.join(" / ", before), 300)));
            }
            if (reader.read(line) instanceof TaskStart.Started s) {
                times.mark("container started, workspace cloned");
                return s.commit();
            }
            if (before.size() < 20) {
                before.add(line);
            }
        }
    }

    /** The agent's argv as the task runs it: the rendered one, its settings through env(1), and the timeout. */
    private static List<String> agentArgv(Invocation.Launch launch, Plan plan, int timeoutSeconds) {
        List<String> argv = new ArrayList<>();
        if (timeoutSeconds > 0) {
            argv.addAll(List.of("timeout", "-k", "5", Integer.toString(timeoutSeconds)));
        }
        // env(1) rather than the container's environment: the rendered settings must win over the wiring's, as
        // `podman exec --env` does for a follow-up. Values are paths, the broker URL and the model, never the token.
        argv.add("env");
        argv.add("--");
        agentEnv(launch, plan).forEach((k, v) -> argv.add(k + "=" + v));
        argv.addAll(launch.argv());
        return argv;
    }

    /** One run of the agent in a task, its output lines to {@code lines}; its exit code (124/137 at the timeout). */
    private interface AgentProcess extends AutoCloseable {
        int run(String id, Consumer<String> lines);

        @Override
        default void close() {
        }
    }

    /** The agent exec'd into the running task (a follow-up, or a task that had to be prepared first). */
    private final class ExecdAgent implements AgentProcess {
        private final Invocation.Launch launch;
        private final Plan plan;
        private final int timeoutSeconds;

        ExecdAgent(Invocation.Launch launch, Plan plan, int timeoutSeconds) {
            this.launch = launch;
            this.plan = plan;
            this.timeoutSeconds = timeoutSeconds;
        }

        @Override
        public int run(String id, Consumer<String> lines) {
            Duration deadline = timeoutSeconds > 0 ? Duration.ofSeconds(timeoutSeconds + 30L) : Duration.ofHours(24);
            return containers.stream(id, agentArgv(launch, plan, timeoutSeconds), Map.of(), WORKSPACE, deadline, lines);
        }
    }

    /** The agent the task's container started with (TaskStart), followed to the script's report of its exit. */
    private static final class StartedAgent implements AgentProcess {
        private final AgentContainers.Output output;
        private final TaskStart.Reader reader;
        private final int timeoutSeconds;

        StartedAgent(AgentContainers.Output output, TaskStart.Reader reader, int timeoutSeconds) {
            this.output = output;
            this.reader = reader;
            this.timeoutSeconds = timeoutSeconds;
        }

        @Override
        public int run(String id, Consumer<String> lines) {
            Instant deadline = Instant.now().plus(timeoutSeconds > 0 ? Duration.ofSeconds(timeoutSeconds + 30L) : Duration.ofHours(24));
            // The script writes a line break before its report (the agent's last line may lack one): a blank line
            // just before the report is the script's, not the agent's.
            boolean blankHeld = false;
            while (true) {
                String line = output.next(deadline);
                if (line == AgentContainers.TIMED_OUT) {
                    return 124;
                }
                if (line == AgentContainers.END) {
                    return 137; // the container ended under the agent (stopped, killed)
                }
                TaskStart.Line l = reader.read(line);
                if (l instanceof TaskStart.Exited e) {
                    if (!e.before().isEmpty()) {
                        lines.accept(e.before());
                    }
                    return e.exitCode();
                }
                if (blankHeld) {
                    lines.accept("");
                }
                blankHeld = line.isEmpty();
                if (!blankHeld) {
                    lines.accept(line);
                }
            }
        }

        @Override
        public void close() {
            output.close();
        }
    }

    /** What a client runs (through Attach) for the agent's interactive session in a running task. */
    public InteractiveCommand interactive(String project, String ref) {
        Ids.project("project", project);
        projects.store().get(project); // an unknown project is named as such, not as an unknown task
        AgentTask t = store.resolve(project, ref);
        String state = containers.state(t.getId());
        if (!state.equals("running")) {
            throw ServiceException.precondition("task " + t.getName() + " is not running (" + state
                    + "); start a new one with `terok task run " + t.getProject() + "`");
        }
        Plan plan = new Plan(projects.store().get(t.getProject()), roster.get().get(t.getAgent()), t.getProvider(), t.getModel(),
                t.getName(), t.getBranch());
        String brokerUrl = "http://" + hostForUrl(containers.hostLoopbackAddress()) + ":" + peers.brokerPort();
        Invocation.Launch launch = render(plan, Invocation.Mode.INTERACTIVE, null, brokerUrl);
        return InteractiveCommand.newBuilder().setTaskId(t.getId()).setName(t.getName()).addAllArgv(launch.argv())
                .putAllEnv(agentEnv(launch, plan)).setWorkdir(WORKSPACE).build();
    }

    /** Health checks from inside the task's running container ({@link Sickbay}). */
    public SickbayReport sickbay(String project, String ref) {
        Ids.project("project", project);
        projects.store().get(project);
        AgentTask t = store.resolve(project, ref);
        String state = containers.state(t.getId());
        if (!state.equals("running")) {
            throw ServiceException.precondition("task " + t.getName() + " is not running (" + state + "): sickbay checks a "
                    + "running task from inside; start a new one with `terok task run " + t.getProject() + "`");
        }
        Plan plan = new Plan(projects.store().get(t.getProject()), roster.get().get(t.getAgent()), t.getProvider(), t.getModel(),
                t.getName(), t.getBranch());
        String brokerUrl = "http://" + hostForUrl(containers.hostLoopbackAddress()) + ":" + peers.brokerPort();
        List<String> version = render(plan, Invocation.Mode.VERSION, null, brokerUrl).argv();
        String tokenEnv = plan.agent().provider(plan.provider()).orElseThrow().tokenEnv();
        return SickbayReport.newBuilder().setTaskId(t.getId()).setName(t.getName())
                .addAllChecks(new Sickbay(containers, t.getId()).all(brokerUrl, tokenEnv, plan.agent().id(), version)).build();
    }

    /** The rendered environment minus the token (the container's own environment has the phantom). */
    private static Map<String, String> agentEnv(Invocation.Launch launch, Plan plan) {
        Map<String, String> env = new LinkedHashMap<>(launch.env());
        env.remove(plan.agent().provider(plan.provider()).orElseThrow().tokenEnv());
        env.put("HOME", HOME);
        return env;
    }

    public AgentTask followup(String project, String ref, String prompt, int timeoutSeconds, Events events) {
        AgentTask t = store.resolve(project, ref);
        if (prompt == null || prompt.isBlank()) {
            throw ServiceException.invalid("prompt", "required");
        }
        if (!containers.state(t.getId()).equals("running")) {
            throw ServiceException.precondition("task " + t.getName() + " is not running (" + containers.state(t.getId())
                    + "); start a new task with `terok task run " + t.getProject() + "`");
        }
        Plan plan = new Plan(projects.store().get(t.getProject()), roster.get().get(t.getAgent()), t.getProvider(), t.getModel(),
                t.getName(), t.getBranch());
        String brokerUrl = "http://" + hostForUrl(containers.hostLoopbackAddress()) + ":" + peers.brokerPort();
        Invocation.Launch launch = render(plan, Invocation.Mode.FOLLOWUP, prompt, brokerUrl);
        return runAgent(t.toBuilder().setOutcome(AgentTaskOutcome.AGENT_TASK_OUTCOME_RUNNING).clearFinishedAt().build(),
                plan, prompt, timeoutSeconds, null, events, new ExecdAgent(launch, plan, timeoutSeconds));
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    private static Invocation.Launch render(Plan plan, Invocation.Mode mode, String prompt, String brokerUrl) {
        Invocation.Launch l = Invocation.render(plan.agent(), mode, new Invocation.Context(plan.provider(),
                plan.model().isEmpty() ? null : plan.model(), prompt, brokerUrl, TOKEN_IN_ENVIRONMENT, HOME, WORKSPACE));
        if (l.files().stream().anyMatch(f -> f.content().contains(TOKEN_IN_ENVIRONMENT))) {
            throw ServiceException.precondition("agent " + plan.agent().id() + " writes its token into a file; terok passes "
                    + "the phantom token only by environment so far");
        }
        return l;
    }

    private static RunSpec spec(ProjectSettings p, Plan plan, String name, String image, List<TaskConfig.Mount> mounts,
            List<String> command) {
        RunSpec.Builder s = RunSpec.newBuilder().setName(name).setImage(image).addAllCommand(command)
                .setWorkdir(WORKSPACE).setNetwork(NetworkMode.NETWORK_MODE_FILTERED).setProject(p.getName())
                .addProviders(plan.provider()).addAllShieldProfiles(p.getShieldProfilesList()).addAllGpus(p.getGpusList())
                .putAllEnv(p.getEnvMap()).putEnv("HOME", HOME).putAnnotations("io.terok.agent", plan.agent().id());
        if (p.hasLimits()) {
            s.setLimits(p.getLimits());
        }
        for (TaskConfig.Mount m : mounts) {
            s.addVolumes(VolumeMount.newBuilder().setHostPath(m.host().toString()).setContainerPath(m.container()).setReadOnly(m.readOnly()));
        }
        return s.build();
    }

    /**
     * A subscription provider's login file (Codex's auth.json of a ChatGPT login): rendered with the phantom and the
     * account the vault gave the container (its environment, read back by an exec) and written inside the running task,
     * so the file holds only what the task already holds and is owned by the task's user.
     */
    private void writeLoginFile(String id, Invocation.Launch launch, Events events) {
        Invocation.LoginFile login = launch.loginFile();
        if (login == null) {
            return;
        }
        AgentContainers.Exec env = containers.exec(id, List.of("printenv", login.tokenEnv(), login.accountEnv()), HOME, GIT);
        List<String> values = env.stdout().lines().toList();
        if (!env.ok() || values.size() != 2) {
            throw ServiceException.precondition("the task has no " + login.tokenEnv() + " or " + login.accountEnv()
                    + " from the vault, so its " + login.path() + " cannot be written");
        }
        String content;
        try {
            content = io.terok.agents.auth.LoginFiles.render(login.shape(), values.get(0), values.get(1), Instant.now());
        } catch (IllegalArgumentException e) {
            throw ServiceException.precondition(e.getMessage());
        }
        containers.writeFile(id, login.path(), content);
        events.progress("login file " + login.path() + " written (phantom tokens only)");
    }

    private static String gateUrl(Task task) {
        String url = task.getWiring().getGateUrl();
        if (url.isEmpty()) {
            throw ServiceException.precondition("the task has no gate repository (gate opted out?)");
        }
        return url;
    }

    /**
     * Online mode: opens exactly the upstream's address(es) and port in the task's running firewall (each address
     * checked here and again by shield before it reaches nft) and returns the workspace's remotes, with the host keys
     * the gate pinned for an ssh upstream. A refusal fails the launch, which the caller undoes.
     */
    private WorkspaceRemotes openUpstream(String id, ProjectSettings p, OnlineUpstream online, String gateUrl, Events events) {
        List<String> pinned = online.scheme() == OnlineUpstream.Scheme.SSH ? peers.gatePinnedHostKeys(p.getName()) : List.of();
        WorkspaceRemotes remotes = WorkspaceRemotes.online(online, gateUrl, pinned);
        for (String address : online.addresses(resolver)) {
            peers.shieldAllowPort(id, address, online.port());
            events.progress("firewall: " + address + " port " + online.port() + " allowed (the upstream, online mode)");
        }
        return remotes;
    }

    /**
     * The workspace: a clone of the gate on the task's own branch, with the project's git identity and the remotes of
     * the project's security mode; returns the commit the branch starts from.
     */
    private String prepareWorkspace(String id, ProjectSettings p, String branch, WorkspaceRemotes remotes, Events events,
            StepTimes times) {
        String base = defaultBranch(p);
        GitIdentity.Resolved who = projects.identity().resolve(p);
        times.mark("default branch and identity");
        // One exec for the clone, the repository's settings (`clone -c` writes them into its config), the task's branch
        // and the commit it starts from: each exec into the task costs 0.1-0.2 s before the agent can start
        // (docs/benchmarks.md). The script is fixed text; every value reaches it as a positional argument, never
        // as shell source. push.default current: `git push` and `git push origin HEAD` land on the task's branch.
        // Online ($7 the upstream): the gate's remote is renamed `gate` (its tracking refs with it) and origin becomes
        // the upstream; $8 is git's ssh command pinned to the gate's host keys.
        String start = git(id, "clone", List.of("sh", "-c", "git clone -q --branch \"$1\" -c \"user.name=$2\" -c \"user.email=$3\" "
                + "-c push.default=current -- \"$4\" \"$5\" && cd \"$5\" && { [ \"$7\" = \"$4\" ] || { git remote rename origin gate "
                + "&& git remote add origin \"$7\"; }; } && { [ -z \"$8\" ] || git config core.sshCommand \"$8\"; } "
                + "&& git checkout -q -b \"$6\" && git rev-parse HEAD",
                "terok-workspace", base, who.name(), who.email(), remotes.cloneFrom(), WORKSPACE, branch, remotes.origin(),
                remotes.sshCommand())).stdout().strip();
        if (!remotes.sshCommand().isEmpty()) {
            containers.writeFile(id, WorkspaceRemotes.KNOWN_HOSTS, String.join("\n", remotes.knownHosts()) + "\n");
        }
        times.mark("clone, branch and start commit");
        if (!start.matches("[0-9a-f]{40}([0-9a-f]{24})?")) {
            throw ServiceException.precondition("git in the task named no start commit: " + Printable.line(start, 100));
        }
        events.progress("workspace " + WORKSPACE + " cloned from the gate on branch " + branch + " (from " + base + ")"
                + (remotes.online() ? "; origin is the upstream " + Printable.line(remotes.origin(), 200) + " (online mode), "
                + "remote gate the gate" : ""));
        return start;
    }

    private AgentContainers.Exec git(String id, String what, List<String> argv) {
        AgentContainers.Exec r = containers.exec(id, argv, WORKSPACE, GIT);
        if (!r.ok()) {
            throw ServiceException.precondition("git " + what + " in the task failed (exit " + r.exitCode() + "): "
                    + Printable.line(r.stderr().isBlank() ? r.stdout() : r.stderr(), 300));
        }
        return r;
    }

    /** @param startCommit the workspace's HEAD before the agent runs, when the caller knows it; else asked for here */
    private AgentTask runAgent(AgentTask rec, Plan plan, String prompt, int timeoutSeconds, String startCommit,
            Events events, AgentProcess agent) {
        String id = rec.getId();
        if (running.putIfAbsent(id, Boolean.TRUE) != null) {
            throw ServiceException.precondition("the agent of task " + rec.getName() + " is already running");
        }
        try {
            StepTimes times = StepTimes.start("agent run " + id);
            AgentTask.Builder b = rec.toBuilder().addPrompts(prompt);
            store.save(b.build());
            times.mark("record");
            String start = startCommit != null ? startCommit
                    : git(id, "rev-parse", List.of("git", "rev-parse", "HEAD")).stdout().strip();
            times.mark("start commit");
            events.progress("running " + plan.agent().id() + " (" + plan.provider() + (plan.model().isEmpty() ? "" : ", " + plan.model())
                    + ")" + (timeoutSeconds > 0 ? ", timeout " + timeoutSeconds + " s" : ""));
            List<String> output = new ArrayList<>();
            boolean[] first = {true};
            int exit = agent.run(id, line -> {
                if (first[0]) {
                    first[0] = false;
                    times.mark("agent's first output line");
                }
                synchronized (output) {
                    output.add(line);
                }
                store.appendOutput(id, line);
                events.output(line);
            });
            boolean timedOut = timeoutSeconds > 0 && (exit == 124 || exit == 137);
            boolean stopped = stopRequested.remove(id);
            AgentTaskOutcome outcome = stopped ? AgentTaskOutcome.AGENT_TASK_OUTCOME_STOPPED
                    : timedOut ? AgentTaskOutcome.AGENT_TASK_OUTCOME_TIMED_OUT
                    : exit == 0 ? AgentTaskOutcome.AGENT_TASK_OUTCOME_DONE : AgentTaskOutcome.AGENT_TASK_OUTCOME_FAILED;
            b.setExitCode(exit).setOutcome(outcome).setLastAnswer(lastAnswer(output));
            if (timedOut) {
                events.progress("timed out after " + timeoutSeconds + " s: the agent was stopped");
            }
            try {
                b.setCommittedLeftovers(saveLeftovers(id, rec.getBranch(), !rec.getUpstreamUrl().isEmpty(), start, events)
                        || rec.getCommittedLeftovers());
            } catch (RuntimeException e) {
                b.addWarnings("could not save the work left in the workspace: " + e.getMessage());
            }
            if (timedOut) {
                // Nothing of a timed-out task keeps running.
                containers.stop(id);
            }
            b.clearCommits().addAllCommits(commits(plan.project(), rec.getBranch(), b));
            b.setFinishedAt(ProtoTime.of(Instant.now()));
            AgentTask done = b.build();
            if (!store.saveIfPresent(done)) {
                // Deleted while its agent was ending (a delete right after a stop): the delete has the last word.
                LOG.infof("agent task %s (%s) %s, exit %d; deleted meanwhile, its end is not recorded", id, rec.getName(),
                        outcome, exit);
                return done;
            }
            times.mark("agent ended, leftovers saved, commits listed");
            times.done();
            LOG.infof("agent task %s (%s) %s, exit %d, %d commit(s)", id, rec.getName(), outcome, exit, done.getCommitsCount());
            return done;
        } finally {
            agent.close();
            running.remove(id);
            stopRequested.remove(id);
        }
    }

    /**
     * Commits and pushes what the agent left; true when there was something to commit. Online, the branch goes to the
     * upstream (origin) and, as a checkpoint, to the gate; a refused upstream push still leaves the gate's copy.
     */
    private boolean saveLeftovers(String id, String branch, boolean online, String start, Events events) {
        boolean dirty = !git(id, "status", List.of("git", "status", "--porcelain")).stdout().isBlank();
        if (dirty) {
            git(id, "add", List.of("git", "add", "-A"));
            git(id, "commit", List.of("git", "commit", "-q", "-m", "terok: work the agent left uncommitted"));
            events.progress("committed the work the agent left uncommitted");
        }
        String head = git(id, "rev-parse", List.of("git", "rev-parse", "HEAD")).stdout().strip();
        if (!head.equals(start)) {
            if (online) {
                RuntimeException upstream = null;
                try {
                    git(id, "push", List.of("git", "push", "-q", "origin", "HEAD:refs/heads/" + branch));
                    events.progress("pushed " + branch + " to the upstream (online mode)");
                } catch (RuntimeException e) {
                    upstream = e;
                }
                git(id, "push to the gate", List.of("git", "push", "-q", "gate", "HEAD:refs/heads/" + branch));
                events.progress("pushed " + branch + " to the gate (checkpoint)");
                if (upstream != null) {
                    throw ServiceException.precondition("the push to the upstream failed (the gate holds the branch): "
                            + upstream.getMessage());
                }
            } else {
                git(id, "push", List.of("git", "push", "-q", "origin", "HEAD:refs/heads/" + branch));
            }
        }
        return dirty;
    }

    private List<PushedCommit> commits(ProjectSettings p, String branch, AgentTask.Builder b) {
        try {
            List<PushedCommit> out = new ArrayList<>();
            for (Commit c : peers.commits(p.getName(), branch, defaultBranch(p))) {
                out.add(PushedCommit.newBuilder().setId(c.getId()).setSummary(Printable.line(c.getSummary(), 200))
                        .setAuthor(Printable.line(c.getAuthor(), 120)).build());
            }
            return out;
        } catch (ServiceException e) {
            // No branch in the gate: the agent pushed nothing and left nothing.
            if (e.kind() != ServiceException.Kind.NOT_FOUND && e.kind() != ServiceException.Kind.INVALID) {
                b.addWarnings("gate: " + e.getMessage());
            }
            return List.of();
        }
    }

    /** The agent's final answer: the last paragraph of its output (agents print it last), at most 4000 characters. */
    static String lastAnswer(List<String> output) {
        int end = output.size();
        while (end > 0 && output.get(end - 1).isBlank()) {
            end--;
        }
        int startIdx = end;
        while (startIdx > 0 && !output.get(startIdx - 1).isBlank()) {
            startIdx--;
        }
        String text = String.join("\n", output.subList(startIdx, end));
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }

    public AgentTask show(String project, String ref) {
        AgentTask t = store.resolve(project, ref);
        return t.toBuilder().setContainerState(containers.state(t.getId())).build();
    }

    public List<AgentTask> list(String project) {
        return store.all().stream().filter(t -> project.isEmpty() || t.getProject().equals(project))
                .map(t -> t.toBuilder().setContainerState(containers.state(t.getId())).build()).toList();
    }

    public AgentTask stop(String project, String ref) {
        AgentTask t = store.resolve(project, ref);
        if (running.containsKey(t.getId())) {
            // Before the container stops: the agent's thread then records the end as stopped, not as a failure
            // overwriting what this call saves.
            stopRequested.add(t.getId());
        }
        containers.stop(t.getId());
        AgentTask.Builder b = t.toBuilder();
        if (t.getOutcome() == AgentTaskOutcome.AGENT_TASK_OUTCOME_RUNNING) {
            b.setOutcome(AgentTaskOutcome.AGENT_TASK_OUTCOME_STOPPED).setFinishedAt(ProtoTime.of(Instant.now()));
        }
        store.save(b.build());
        return b.setContainerState(containers.state(t.getId())).build();
    }

    /** The task's container back with its wiring; the agent is not run (followup continues it). */
    public AgentTask restart(String project, String ref) {
        AgentTask t = store.resolve(project, ref);
        containers.restart(t.getId());
        LOG.infof("agent task %s (%s) restarted", t.getId(), t.getName());
        return t.toBuilder().setContainerState(containers.state(t.getId())).build();
    }

    public List<String> delete(String project, String ref, boolean purge) {
        AgentTask t = store.resolve(project, ref);
        List<String> removed = new ArrayList<>();
        if (purge) {
            // Deleted with the task's own gate token, from its container, while that token still exists: the gate
            // grants no one else a branch deletion.
            if (!containers.state(t.getId()).equals("running")) {
                throw ServiceException.precondition("--purge needs the task's container running to delete its branch "
                        + t.getBranch() + " (it is " + containers.state(t.getId()) + "); delete without --purge keeps the branch");
            }
            // A task whose agent never pushed has no branch in the gate: nothing to purge, and no reason to keep the task.
            // Online, origin is the upstream: only the gate's copy is terok's to purge.
            String gate = t.getUpstreamUrl().isEmpty() ? "origin" : "gate";
            AgentContainers.Exec heads = containers.exec(t.getId(), List.of("git", "ls-remote", "--exit-code", "--heads",
                    gate, "refs/heads/" + t.getBranch()), WORKSPACE, GIT);
            if (heads.exitCode() == 2) {
                removed.add("no branch " + t.getBranch() + " in the gate (never pushed)");
            } else if (!heads.ok()) {
                throw ServiceException.precondition("cannot check the task's branch in the gate (git ls-remote exit "
                        + heads.exitCode() + "): " + Printable.line(heads.stderr(), 300) + "; delete without --purge keeps it");
            } else {
                git(t.getId(), "push --delete", List.of("git", "push", "-q", gate, "--delete", t.getBranch()));
                removed.add("branch " + t.getBranch());
            }
        }
        List<String> warnings;
        try {
            warnings = containers.remove(t.getId());
        } catch (ServiceException e) {
            if (e.kind() != ServiceException.Kind.NOT_FOUND) {
                throw e;
            }
            warnings = List.of(); // removed already (terok rm): nothing of it is held any more
        }
        if (!warnings.isEmpty()) {
            throw ServiceException.precondition("task " + t.getName() + " was only partly released: " + warnings);
        }
        removed.add("container, phantom tokens, gate token, firewall of " + t.getName());
        store.delete(t.getId());
        removed.add("agent configuration and output of " + t.getName());
        LOG.infof("agent task %s (%s) deleted: %s", t.getId(), t.getName(), removed);
        return removed;
    }
}
