package io.terok.cli.agenttask;

import static io.terok.cli.core.ServiceApi.AGENT_TASKS;

import io.terok.api.v1.AgentTask;
import io.terok.api.v1.AgentTaskRef;
import io.terok.api.v1.ListAgentTasksRequest;
import io.terok.api.v1.SickbayCheck;
import io.terok.api.v1.SickbayLevel;
import io.terok.api.v1.SickbayReport;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import io.terok.cli.services.Health;
import io.terok.cli.services.ServiceLayout;
import io.terok.common.Printable;
import io.terok.common.ServiceName;
import io.terok.common.grpc.HealthProbe;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "sickbay", description = {"Health checks, each a line ok / WARN / ERROR with the fix.",
    "  terok sickbay                  the services' health and each agent task's one-line state;",
    "  terok sickbay PROJECT TASK     from inside the running agent task: broker and its phantom token, gate and its "
        + "token, firewall, DNS forwarder, the agent binary and its version, free disk in /workspace.",
    "Exits 1 when a check is ERROR."})
public final class SickbayCommand extends Verb {
    @Parameters(arity = "0..2", paramLabel = "PROJECT TASK", description = "An agent task of PROJECT (id, id prefix or name).")
    List<String> args = List.of();

    @Override
    public Integer call() {
        Context ctx = ctx();
        if (args.size() == 1) {
            throw new CliException("sickbay needs both PROJECT and TASK (or neither, for the host summary)",
                    "e.g. `terok sickbay " + Printable.line(args.get(0), 64) + " TASK`; `terok task list` names the tasks");
        }
        if (args.size() == 2) {
            SickbayReport r = AGENT_TASKS.call(ctx, "cannot check task " + Printable.line(args.get(1), 80),
                    s -> s.sickbay(AgentTaskRef.newBuilder().setProject(args.get(0)).setTask(args.get(1)).build()));
            ctx.out.println("task " + r.getTaskId() + " (" + Printable.line(r.getName()) + "):");
            boolean error = false;
            for (SickbayCheck c : r.getChecksList()) {
                error |= c.getLevel() == SickbayLevel.SICKBAY_LEVEL_ERROR;
                ctx.out.println(line(c.getLevel(), c.getName(), c.getDetail(), c.getFix()));
            }
            return error ? 1 : 0;
        }
        ctx.beforeGrpc();
        Map<ServiceName, HealthProbe.Result> health = Health.probeAll(new ServiceLayout(ctx), 3000);
        boolean error = false;
        for (ServiceName s : ServiceName.values()) {
            HealthProbe.Result h = health.get(s);
            error |= !h.serving();
            ctx.out.println(line(h.serving() ? SickbayLevel.SICKBAY_LEVEL_OK : SickbayLevel.SICKBAY_LEVEL_ERROR, s.id(),
                    h.serving() ? "healthy" : "not healthy (" + h.detail() + ")", h.serving() ? "" : "`terok services up`, then `terok services status`"));
        }
        if (health.get(ServiceName.RUNTIME).serving()) {
            List<AgentTask> tasks = AGENT_TASKS.call(ctx, "cannot list the agent tasks", s -> s.list(ListAgentTasksRequest.getDefaultInstance())).getTasksList();
            for (AgentTask t : tasks) {
                boolean running = t.getContainerState().equals("running");
                ctx.out.println(line(running ? SickbayLevel.SICKBAY_LEVEL_OK : SickbayLevel.SICKBAY_LEVEL_WARN, "task " + Printable.line(t.getName()),
                        t.getProject() + ", " + t.getAgent() + ", container " + t.getContainerState() + ", " + TaskCommand.outcome(t),
                        running ? "" : "not running: nothing to check inside; `terok task delete " + t.getProject() + " " + Printable.line(t.getName()) + "` when done"));
            }
            if (tasks.isEmpty()) {
                ctx.out.println("       no agent tasks");
            }
        }
        return error ? 1 : 0;
    }

    static String line(SickbayLevel level, String name, String detail, String fix) {
        String tag = switch (level) {
            case SICKBAY_LEVEL_OK -> "ok   ";
            case SICKBAY_LEVEL_WARN -> "WARN ";
            default -> "ERROR";
        };
        return tag + "  " + String.format("%-9s", name) + " " + Printable.line(detail, 300)
                + (fix.isEmpty() ? "" : "  -> " + Printable.line(fix, 300));
    }
}
