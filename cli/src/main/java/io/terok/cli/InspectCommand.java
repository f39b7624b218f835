package io.terok.cli;

import io.terok.api.v1.TaskRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", description = "Print everything the runtime knows about a task, as JSON.")
final class InspectCommand extends Verb {
    @Parameters(paramLabel = "TASK", description = "Task id, id prefix or name.")
    String task;

    @Override
    public Integer call() {
        Context ctx = ctx();
        try (RuntimeClient rt = RuntimeClient.connect(ctx)) {
            ctx.out.println(Json.of(rt.call("cannot inspect " + task,
                    () -> rt.stub(RuntimeClient.UNARY).inspect(TaskRef.newBuilder().setTask(task).build()))));
        }
        return 0;
    }
}
