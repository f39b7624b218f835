package io.terok.cli.task;

import io.terok.cli.core.Verb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "attach", description = {"Attach this terminal to a running task's main process: its output, and "
        + "with a TTY (run -t) every key typed and the window size; exits with its exit code.",
    "The detach keys (default ctrl-p,ctrl-q) leave it running."})
public final class AttachCommand extends Verb {
    @Option(names = "--detach-keys", paramLabel = "KEYS", description = "Keys that detach, e.g. ctrl-p,ctrl-q (the "
            + "default; TEROK_DETACH_KEYS sets another), ctrl-a,d or \"\" for none.")
    String detachKeys;
    @Parameters(index = "0", paramLabel = "TASK", description = "Task id, id prefix or name.")
    String task;

    @Override
    public Integer call() {
        DetachKeys keys = DetachKeys.resolve(ctx().env, detachKeys);
        return TerminalSession.run(ctx(), TerminalSession.Target.mainProcess(task, false), keys);
    }
}
