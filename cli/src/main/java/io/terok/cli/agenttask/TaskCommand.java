package io.terok.cli.agenttask;

import static io.terok.cli.core.ServiceApi.AGENT_TASKS;
import static io.terok.cli.core.ServiceApi.GATE;
import static io.terok.cli.core.ServiceApi.PROJECTS;

import io.terok.api.v1.AgentTask;
import io.terok.api.v1.AgentTaskEvent;
import io.terok.api.v1.AgentTaskLogsRequest;
import io.terok.api.v1.AgentTaskOutcome;
import io.terok.api.v1.AgentTaskRef;
import io.terok.api.v1.AgentTaskServiceGrpc.AgentTaskServiceBlockingStub;
import io.terok.api.v1.DeleteAgentTaskRequest;
import io.terok.api.v1.DiffResponse;
import io.terok.api.v1.FollowupAgentTaskRequest;
import io.terok.api.v1.InteractiveCommand;
import io.terok.api.v1.ForwardRequest;
import io.terok.api.v1.ListAgentTasksRequest;
import io.terok.api.v1.PushedCommit;
import io.terok.api.v1.ReviewRequest;
import io.terok.api.v1.RunAgentTaskRequest;
import io.terok.api.v1.ShowProjectRequest;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Verb;
import io.terok.cli.gate.GateCommand;
import io.terok.cli.task.DetachKeys;
import io.terok.cli.task.TerminalSession;
import io.terok.common.Printable;
import io.terok.common.TaskForwarding;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code terok task ...}: agent tasks on a project (runtime's AgentTaskService; review and forward through the gate). */
@Command(name = "task", description = "Agent tasks: run an agent headless on a project, follow up, review and forward what it pushed.",
        subcommands = {TaskCommand.Run.class, TaskCommand.Followup.class, TaskCommand.ListVerb.class, TaskCommand.Show.class,
            TaskCommand.Logs.class, TaskCommand.Stop.class, TaskCommand.Restart.class, TaskCommand.Delete.class, TaskCommand.Review.class, TaskCommand.Forward.class})
public final class TaskCommand {
    /** Runs without a timeout last as long as the agent works. */
    static final Duration RUN = Duration.ofDays(1);

    abstract static class OnTask extends Verb {
        @Parameters(index = "0", paramLabel = "PROJECT")
        String project;
        @Parameters(index = "1", paramLabel = "TASK", description = "Task id, id prefix or name.")
        String task;

        AgentTaskRef ref() {
            return AgentTaskRef.newBuilder().setProject(project).setTask(task).build();
        }
    }

    /** Prints the stream: terok's lines to stderr, the agent's output to stdout; returns the summary. */
    static AgentTask follow(Context ctx, String what, Function<AgentTaskServiceBlockingStub, Iterator<AgentTaskEvent>> call) {
        try (ServiceClient<AgentTaskServiceBlockingStub> rt = AGENT_TASKS.connect(ctx)) {
            AgentTask t = rt.call(what, () -> {
                Iterator<AgentTaskEvent> events = call.apply(rt.stub(RUN));
                AgentTask last = null;
                while (events.hasNext()) {
                    AgentTaskEvent e = events.next();
                    switch (e.getEventCase()) {
                        case PROGRESS -> ctx.err.println("terok: " + Printable.line(e.getProgress(), 4096));
                        case OUTPUT -> ctx.out.println(Printable.line(e.getOutput(), 4096));
                        case SUMMARY -> last = e.getSummary();
                        default -> { }
                    }
                }
                return last;
            });
            if (t == null) {
                throw new CliException(what + ": runtime ended the run without a summary", "see `terok task list`");
            }
            return t;
        }
    }

    /**
     * The agent's interactive session in a running agent task: its INTERACTIVE command (from runtime) through Attach,
     * a real terminal; detaching leaves the agent running in the task. Its exit code (0 after a detach).
     */
    public static int interactive(Context ctx, String project, String task, DetachKeys keys) {
        InteractiveCommand c;
        try (ServiceClient<AgentTaskServiceBlockingStub> rt = AGENT_TASKS.connect(ctx)) {
            c = rt.call("cannot open task " + Printable.line(task) + " of " + Printable.line(project),
                    s -> s.interactive(AgentTaskRef.newBuilder().setProject(project).setTask(task).build()));
        }
        return TerminalSession.run(ctx, TerminalSession.Target.command(c.getTaskId(), c.getArgvList(), c.getEnvMap(),
                c.getWorkdir()), keys);
    }

    static String outcome(AgentTask t) {
        return switch (t.getOutcome()) {
            case AGENT_TASK_OUTCOME_DONE -> "done";
            case AGENT_TASK_OUTCOME_FAILED -> "failed (exit " + t.getExitCode() + ")";
            case AGENT_TASK_OUTCOME_TIMED_OUT -> "timed out";
            case AGENT_TASK_OUTCOME_STOPPED -> "stopped";
            case AGENT_TASK_OUTCOME_RUNNING -> "running";
            default -> "?";
        };
    }

    static int summary(AgentTask t, PrintStream out) {
        out.println();
        out.println("== task " + t.getId() + " (" + t.getName() + ") of " + t.getProject() + ", agent " + t.getAgent()
                + ", branch " + Printable.line(t.getBranch()) + ": " + outcome(t));
        if (!t.getLastAnswer().isEmpty()) {
            out.println("== last answer:");
            out.println(Printable.lines(t.getLastAnswer()));
        }
        if (t.getCommittedLeftovers()) {
            out.println("== terok committed the work the agent left uncommitted");
        }
        if (!t.getUpstreamUrl().isEmpty()) {
            // Online mode: the commits are upstream already; the gate's copy is what is listed and reviewable.
            out.println("== " + t.getCommitsCount() + " commit(s) on " + Printable.line(t.getBranch()) + ", pushed to the upstream "
                    + Printable.line(t.getUpstreamUrl(), 300) + " (online mode) and to the gate as a checkpoint"
                    + (t.getCommitsCount() > 0 ? " (review: terok task review " + t.getProject() + " " + t.getName() + ")" : "") + ":");
        } else {
            out.println("== " + t.getCommitsCount() + " commit(s) on " + Printable.line(t.getBranch()) + " in the gate"
                    + (t.getCommitsCount() > 0 ? " (review: terok task review " + t.getProject() + " " + t.getName() + ")" : "") + ":");
        }
        for (PushedCommit c : t.getCommitsList()) {
            out.println("  " + c.getId().substring(0, Math.min(12, c.getId().length())) + "  " + Printable.line(c.getSummary()));
        }
        t.getWarningsList().forEach(w -> out.println("WARNING: " + Printable.line(w, 1000)));
        return t.getOutcome() == AgentTaskOutcome.AGENT_TASK_OUTCOME_DONE ? 0 : 1;
    }

    @Command(name = "run", description = {"Start a task on PROJECT and run its agent headless with PROMPT: output streams live, then how it ended,"
            + " its last answer and the commits on its branch. Exit code 0 only when the agent finished.",
        "Without PROMPT: the task is created the same way and you are put into the agent's interactive session, as "
            + "`terok login PROJECT TASK` (ctrl-p,ctrl-q detaches and leaves it running)."})
    static final class Run extends Verb {
        @Parameters(index = "0", paramLabel = "PROJECT")
        String project;
        @Parameters(index = "1", paramLabel = "PROMPT", arity = "0..1")
        String prompt = "";
        @Option(names = "--agent", paramLabel = "A")
        String agent = "";
        @Option(names = "--provider", paramLabel = "P")
        String provider = "";
        @Option(names = "--model", paramLabel = "M")
        String model = "";
        @Option(names = "--timeout", paramLabel = "S", description = "Stop the agent after S seconds.")
        int timeout;
        @Option(names = "--name", paramLabel = "N")
        String name = "";
        @Option(names = "--branch", paramLabel = "B", description = "The task's branch in the gate (default terok/<task id>).")
        String branch = "";
        @Option(names = "--detach-keys", paramLabel = "KEYS", description = "Interactive: keys that detach (default "
                + "ctrl-p,ctrl-q; TEROK_DETACH_KEYS sets another; \"\" for none).")
        String detachKeys;

        @Override
        public Integer call() {
            if (timeout < 0) {
                throw CliException.badValue("--timeout", String.valueOf(timeout), "seconds, 0 for none");
            }
            if (prompt.isEmpty()) {
                if (timeout > 0) {
                    throw CliException.badValue("--timeout", String.valueOf(timeout), "only for a headless run (with a PROMPT)");
                }
                if (!TerminalSession.onTerminal()) {
                    // Checked before anything is created: a task nobody can type into would only be left behind.
                    throw new CliException("terok task run without a PROMPT is an interactive session and needs a terminal",
                            "give a PROMPT for a headless run, or run it on a terminal");
                }
                DetachKeys keys = DetachKeys.resolve(ctx().env, detachKeys);
                AgentTask t = follow(ctx(), "cannot start a task on " + project, s -> s.run(RunAgentTaskRequest.newBuilder()
                        .setProject(project).setInteractive(true).setAgent(agent).setProvider(provider).setModel(model)
                        .setName(name).setBranch(branch).build()));
                ctx().err.println("terok: task " + t.getId() + " (" + Printable.line(t.getName()) + ") on branch "
                        + Printable.line(t.getBranch()) + "; back in later with `terok login " + project + " " + Printable.line(t.getName()) + "`");
                return interactive(ctx(), project, t.getId(), keys);
            }
            AgentTask t = follow(ctx(), "cannot run a task on " + project, s -> s.run(RunAgentTaskRequest.newBuilder()
                    .setProject(project).setPrompt(prompt).setAgent(agent).setProvider(provider).setModel(model)
                    .setTimeoutSeconds(timeout).setName(name).setBranch(branch).build()));
            return summary(t, ctx().out);
        }
    }

    @Command(name = "followup", description = "Continue the task's agent session with PROMPT (same container, branch and agent configuration).")
    static final class Followup extends OnTask {
        @Parameters(index = "2", paramLabel = "PROMPT")
        String prompt;
        @Option(names = "--timeout", paramLabel = "S")
        int timeout;

        @Override
        public Integer call() {
            AgentTask t = follow(ctx(), "cannot follow up " + task, s -> s.followup(FollowupAgentTaskRequest.newBuilder()
                    .setTask(ref()).setPrompt(prompt).setTimeoutSeconds(timeout).build()));
            return summary(t, ctx().out);
        }
    }

    @Command(name = "list", description = "Agent tasks (of PROJECT).")
    static final class ListVerb extends Verb {
        @Parameters(index = "0", paramLabel = "PROJECT", arity = "0..1")
        String project = "";

        @Override
        public Integer call() {
            ctx().out.printf("%-14s %-24s %-14s %-8s %-10s %-11s %s%n", "ID", "NAME", "PROJECT", "AGENT", "CONTAINER", "OUTCOME", "BRANCH");
            for (AgentTask t : AGENT_TASKS.call(ctx(), "cannot list tasks", s -> s.list(ListAgentTasksRequest.newBuilder().setProject(project).build())).getTasksList()) {
                ctx().out.printf("%-14s %-24s %-14s %-8s %-10s %-11s %s%n", t.getId().substring(0, 12), t.getName(), t.getProject(), t.getAgent(),
                        t.getContainerState(), outcome(t), Printable.line(t.getBranch()));
            }
            return 0;
        }
    }

    @Command(name = "show", description = "A task: its agent, branch, state, how its last run ended, its answer and commits.")
    static final class Show extends OnTask {
        @Override
        public Integer call() {
            AgentTask t = AGENT_TASKS.call(ctx(), "cannot show " + task, s -> s.show(ref()));
            ctx().out.println("container " + t.getContainerState() + ", provider " + t.getProvider()
                    + (t.getModel().isEmpty() ? "" : ", model " + t.getModel()) + ", " + t.getPromptsCount() + " run(s)");
            summary(t, ctx().out);
            return 0;
        }
    }

    @Command(name = "logs", description = "The kept output of the task's runs; -f follows a running one.")
    static final class Logs extends OnTask {
        @Option(names = {"-f", "--follow"})
        boolean follow;

        @Override
        public Integer call() {
            try (ServiceClient<AgentTaskServiceBlockingStub> rt = AGENT_TASKS.connect(ctx())) {
                rt.call("cannot read the logs of " + task, () -> {
                    Iterator<AgentTaskEvent> it = rt.stub(follow ? RUN : Duration.ofSeconds(60)).logs(
                            AgentTaskLogsRequest.newBuilder().setTask(ref()).setFollow(follow).build());
                    it.forEachRemaining(e -> ctx().out.println(Printable.line(e.getOutput(), 4096)));
                    return null;
                });
            }
            return 0;
        }
    }

    @Command(name = "stop", description = "Stop the task's agent and container (the task and its branch stay).")
    static final class Stop extends OnTask {
        @Override
        public Integer call() {
            AgentTask t = AGENT_TASKS.call(ctx(), "cannot stop " + task, s -> s.stop(ref()));
            ctx().out.println("stopped " + t.getName() + " (container " + t.getContainerState() + ")");
            return 0;
        }
    }

    @Command(name = "restart", description = "Bring the task's container back (stopped or running) with its firewall, phantom token, "
            + "gate token and SSH agent; revoked credentials stay revoked. The agent is not run again: followup continues it, "
            + "login opens it.")
    static final class Restart extends OnTask {
        @Override
        public Integer call() {
            AgentTask t = AGENT_TASKS.call(ctx(), "cannot restart " + task, s -> s.restart(ref()));
            ctx().out.println("restarted " + Printable.line(t.getName(), 80) + " (container " + t.getContainerState() + ")");
            return 0;
        }
    }

    @Command(name = "delete", description = "Remove the task: container, phantom tokens, gate token, firewall, agent configuration. Its branch stays in the gate unless --purge.")
    static final class Delete extends OnTask {
        @Option(names = "--purge", description = "Also delete the task's branch in the gate.")
        boolean purge;

        @Override
        public Integer call() {
            AGENT_TASKS.call(ctx(), "cannot delete " + task, s -> s.delete(DeleteAgentTaskRequest.newBuilder().setTask(ref()).setPurge(purge).build()))
                    .getRemovedList().forEach(l -> ctx().out.println("removed " + l));
            return 0;
        }
    }

    static String defaultBranch(Context ctx, String project) {
        String b = PROJECTS.call(ctx, "cannot read project " + project, s -> s.show(ShowProjectRequest.newBuilder().setProject(project).build()))
                .getSettings().getDefaultBranch();
        return b.isEmpty() ? "main" : b;
    }

    @Command(name = "review", description = "The task's commits and the diff of its branch against the project's default branch (sanitised by the gate).")
    static final class Review extends OnTask {
        @Override
        public Integer call() {
            AgentTask t = AGENT_TASKS.call(ctx(), "cannot find " + task, s -> s.show(ref()));
            String against = defaultBranch(ctx(), project);
            DiffResponse r = GATE.call(ctx(), "cannot review " + t.getBranch(), s -> s.diff(
                    ReviewRequest.newBuilder().setProject(project).setBranch(t.getBranch()).setAgainst(against).build()));
            GateCommand.showReview(ctx().out, project, t.getBranch(), r);
            ctx().out.print(Printable.lines(r.getPatch()));
            ctx().out.println("== end of the review of " + r.getCommit() + "; to forward exactly this: terok task forward "
                    + project + " " + t.getName() + " --commit " + r.getCommit());
            return 0;
        }
    }

    @Command(name = "forward", description = "Send the reviewed commit of the task's branch upstream (to the same branch name unless --to): exactly"
            + " --commit, or the commit of the review shown first. Refused if the branch moved since.")
    static final class Forward extends OnTask {
        @Option(names = "--to", paramLabel = "UPSTREAM_BRANCH", description = "Upstream branch (default: the task's branch name).")
        String to = "";
        @Option(names = "--commit", paramLabel = "COMMIT", description = "The full id of the commit you reviewed.")
        String commit = "";

        @Override
        public Integer call() {
            AgentTask t = AGENT_TASKS.call(ctx(), "cannot find " + task, s -> s.show(ref()));
            var refused = TaskForwarding.refusal(t.getName(), t.getBranch(), t.getUpstreamUrl());
            if (refused.isPresent()) {
                ctx().err.println(refused.get());
                return 1;
            }
            String expected = commit;
            if (expected.isEmpty()) {
                String against = defaultBranch(ctx(), project);
                DiffResponse r = GATE.call(ctx(), "cannot review " + t.getBranch(), s -> s.diff(
                        ReviewRequest.newBuilder().setProject(project).setBranch(t.getBranch()).setAgainst(against).build()));
                GateCommand.showReview(ctx().out, project, t.getBranch(), r);
                ctx().out.println("(patch not shown; `terok task review` shows it)");
                expected = r.getCommit();
            }
            String pinned = expected;
            var u = GATE.call(ctx(), "cannot forward " + t.getBranch(), s -> s.forward(ForwardRequest.newBuilder().setProject(project)
                    .setBranch(t.getBranch()).setTo(to).setExpectedCommit(pinned).build())).getUpdate();
            ctx().out.println("forwarded " + u.getNewId() + " to upstream " + Printable.line(u.getRef()));
            return 0;
        }
    }
}
