package io.terok.cli.task;

import com.google.protobuf.Timestamp;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.ListTasksResponse;
import io.terok.common.Printable;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskState;
import io.terok.cli.core.Context;
import io.terok.cli.core.Json;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Tasks;
import io.terok.cli.core.Times;
import io.terok.cli.core.Verb;
import io.terok.common.ProtoTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "ps", description = "List tasks (running and created; -a adds exited ones).")
public final class PsCommand extends Verb {
    @Option(names = {"-a", "--all"}, description = "Include exited and missing tasks.")
    boolean all;
    @Option(names = "--json", description = "Print a JSON array of tasks (the API's field names).")
    boolean json;
    @Option(names = {"-q", "--quiet"}, description = "Print task ids only.")
    boolean quiet;

    @Override
    public Integer call() {
        Context ctx = ctx();
        ListTasksResponse listed;
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            listed = rt.call("cannot list tasks",
                    stub -> stub.list(ListTasksRequest.newBuilder().setAll(all).build()));
        }
        List<Task> tasks = listed.getTasksList();
        if (listed.getPanic().getActive()) {
            ctx.warn("terok is in panic mode since " + Times.toSecond(listed.getPanic().getSince())
                    + ": no task is launched until `terok panic --clear`");
        }
        for (Task t : tasks) {
            if (t.getReleasePending()) {
                ctx.warn("task " + Printable.line(t.getName(), 80) + " is removed but still holds: "
                        + Printable.line(String.join("; ", t.getWarningsList()), 400)
                        + " (runtime retries; `terok rm " + Tasks.shortId(t.getId()) + "` retries now)");
            }
        }
        for (String bad : listed.getUnreadableRecordsList()) {
            ctx.warn("task record " + Printable.line(bad, 400) + " - its task is not listed; fix the file or move it away");
        }
        if (json) {
            ctx.out.println(Json.array(tasks));
        } else if (quiet) {
            tasks.forEach(t -> ctx.out.println(t.getId()));
        } else {
            ctx.out.print(table(tasks, Instant.now()));
        }
        return 0;
    }

    static String table(List<Task> tasks, Instant now) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "NAME", "IMAGE", "STATE", "CREATED"});
        for (Task t : tasks) {
            rows.add(new String[] {Tasks.shortId(t.getId()), t.getName(), t.getImage(), state(t),
                t.hasCreatedAt() ? ago(t.getCreatedAt(), now) : "-"});
        }
        int[] width = new int[5];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            for (int i = 0; i < row.length - 1; i++) {
                sb.append(row[i]).append(" ".repeat(width[i] - row[i].length() + 2));
            }
            sb.append(row[row.length - 1]).append('\n');
        }
        return sb.toString();
    }

    static String state(Task t) {
        if (t.getReleasePending() && t.getState() == TaskState.TASK_STATE_MISSING) {
            return "removed, release pending";
        }
        if (t.getState() == TaskState.TASK_STATE_EXITED) {
            return "exited (" + t.getExitCode() + ")";
        }
        String s = t.getState().name().substring("TASK_STATE_".length()).toLowerCase(Locale.ROOT);
        return s.equals("unspecified") ? "unknown" : s;
    }

    static String ago(Timestamp ts, Instant now) {
        long s = Duration.between(ProtoTime.toInstant(ts), now).getSeconds();
        if (s < 1) {
            return "just now";
        }
        if (s < 60) {
            return plural(s, "second");
        }
        if (s < 3600) {
            return plural(s / 60, "minute");
        }
        if (s < 48 * 3600) {
            return plural(s / 3600, "hour");
        }
        return plural(s / 86400, "day");
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s") + " ago";
    }
}
