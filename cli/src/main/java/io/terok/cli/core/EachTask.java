package io.terok.cli.core;

import java.util.List;
import java.util.function.Consumer;

/** Runs a verb on several tasks: one failure is reported and the rest still get their turn. */
public final class EachTask {
    private EachTask() {
    }

    public static int run(Context ctx, List<String> tasks, Consumer<String> action) {
        if (tasks.size() == 1) {
            action.accept(tasks.get(0)); // a single failure takes the normal error path
            return 0;
        }
        int exit = 0;
        for (String task : tasks) {
            try {
                action.accept(task);
            } catch (CliException e) {
                ctx.err.println("terok: " + e.getMessage());
                exit = CliException.FAILED;
            }
        }
        return exit;
    }
}
