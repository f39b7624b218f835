package io.terok.cli.task;

import io.terok.api.v1.LogChunk;
import io.terok.api.v1.LogsRequest;
import io.terok.api.v1.OutputStream;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Verb;
import java.util.Iterator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "logs", description = {"Print a task's output (stdout to stdout, stderr to stderr).",
    "Control characters and escape sequences from the task are shown visibly (\\x1b), never sent to the terminal."})
public final class LogsCommand extends Verb {
    @Option(names = {"-f", "--follow"}, description = "Keep printing until the task exits.")
    boolean follow;
    @Option(names = {"-n", "--tail"}, paramLabel = "N", description = "Only the last N lines.")
    int tail;
    @Parameters(paramLabel = "TASK", description = "Task id, id prefix or name.")
    String task;

    @Override
    public Integer call() {
        Context ctx = ctx();
        if (tail < 0) {
            throw CliException.badValue("--tail", String.valueOf(tail), "expected 0 (all) or more lines");
        }
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            stream(rt, LogsRequest.newBuilder().setTask(task).setFollow(follow).setTail(tail).build(), ctx, false);
        }
        return 0;
    }

    /**
     * Copies the log stream, chunk by chunk, to stdout and stderr: sanitised ({@link TaskOutput}), unless
     * {@code raw} because this is the task's own TTY session the operator asked for ({@code run -t}).
     */
    /**
     * Writes the task's output as it comes.
     *
     * @return the task's exit code when the request asked for it ({@code with_exit_code}) and the stream ended with
     *     it, else null
     */
    static Integer stream(ServiceClient<RuntimeServiceBlockingStub> rt, LogsRequest request, Context ctx, boolean raw) {
        TaskOutput out = raw ? TaskOutput.raw(ctx.out) : TaskOutput.sanitised(ctx.out);
        TaskOutput err = raw ? TaskOutput.raw(ctx.err) : TaskOutput.sanitised(ctx.err);
        try {
            return rt.call("cannot read the logs of " + request.getTask(), () -> {
                Iterator<LogChunk> chunks = (request.getFollow() ? rt.stub(Deadlines.FOLLOW) : rt.stub()).logs(request);
                Integer exitCode = null;
                while (chunks.hasNext()) {
                    LogChunk chunk = chunks.next();
                    if (chunk.getExited()) {
                        exitCode = chunk.getExitCode();
                        continue;
                    }
                    (chunk.getStream() == OutputStream.OUTPUT_STREAM_STDERR ? err : out).write(chunk.getData().toByteArray());
                }
                return exitCode;
            });
        } finally {
            out.finish();
            err.finish();
        }
    }
}
