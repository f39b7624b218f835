package io.terok.cli.task;

import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.TaskRef;
import io.terok.cli.core.Context;
import io.terok.cli.core.Json;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Verb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", description = "Print everything the runtime knows about a task, as JSON.")
public final class InspectCommand extends Verb {
    @Parameters(paramLabel = "TASK", description = "Task id, id prefix or name.")
    String task;

    @Override
    public Integer call() {
        Context ctx = ctx();
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            ctx.out.println(Json.of(rt.call("cannot inspect " + task,
                    stub -> stub.inspect(TaskRef.newBuilder().setTask(task).build()))));
        }
        return 0;
    }
}
