package io.terok.cli;

import io.terok.cli.agents.AgentsCommand;
import io.terok.cli.agenttask.TaskCommand;
import io.terok.cli.clearance.ClearanceCommand;
import io.terok.cli.auth.AuthCommand;
import io.terok.cli.console.ConsoleCommand;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.Prewarm;
import io.terok.cli.gate.GateCommand;
import io.terok.cli.host.DoctorCommand;
import io.terok.cli.image.ImageCommand;
import io.terok.cli.host.SetupCommand;
import io.terok.cli.host.UninstallCommand;
import io.terok.cli.panic.PanicCommand;
import io.terok.cli.project.ConfigCommand;
import io.terok.cli.project.ProjectCommand;
import io.terok.cli.services.ServicesCommand;
import io.terok.cli.shield.ShieldCommand;
import io.terok.cli.spare.Spare;
import io.terok.cli.spare.SpareCommand;
import io.terok.cli.spare.SpareRule;
import io.terok.cli.task.AttachCommand;
import io.terok.cli.task.ExecCommand;
import io.terok.cli.task.LoginCommand;
import io.terok.cli.task.InspectCommand;
import io.terok.cli.task.LogsCommand;
import io.terok.cli.task.PsCommand;
import io.terok.cli.task.RevokeCommand;
import io.terok.cli.task.RmCommand;
import io.terok.cli.task.RunCommand;
import io.terok.cli.task.StopCommand;
import io.terok.cli.task.WaitCommand;
import io.terok.cli.vault.SshCommand;
import io.terok.cli.vault.VaultCommand;
import io.terok.common.ServiceName;
import io.terok.common.TerokPaths;
import io.terok.common.grpc.UnixChannels;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code terok}: the command-line client of the terok services. Drive it in-process with
 * {@link #run(String[], PrintStream, PrintStream)}; it never calls System.exit.
 */
@Command(name = "terok", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = TerokCommand.Version.class, sortOptions = false,
        description = "Runs AI coding agents in hardened rootless Podman containers.",
        footer = {"", "Exit codes: 0 ok, 1 failed, 2 bad usage (doctor: 1 warnings, 2 errors); "
                + "run and exec exit with the command's code."})
public final class TerokCommand implements Callable<Integer>, Context.Root {
    /**
     * The verbs, in help order. Each noun has its package (io.terok.cli.task, .services, .vault, .gate, .shield,
     * .clearance, .host, .panic, .agents, .image, .auth, .console; a new noun gets its own), all built on io.terok.cli.core. Registered lazily:
     * picocli's model of one verb is built far faster than all.
     */
    private static final Map<String, Supplier<Object>> VERBS = verbs();

    private static Map<String, Supplier<Object>> verbs() {
        Map<String, Supplier<Object>> v = new LinkedHashMap<>();
        v.put("setup", SetupCommand::new);
        v.put("uninstall", UninstallCommand::new);
        v.put("services", ServicesCommand::new);
        v.put("run", RunCommand::new);
        v.put("ps", PsCommand::new);
        v.put("stop", StopCommand::new);
        v.put("start", io.terok.cli.task.StartCommand.Start::new);
        v.put("restart", io.terok.cli.task.StartCommand.Restart::new);
        v.put("rm", RmCommand::new);
        v.put("revoke", RevokeCommand::new);
        v.put("logs", LogsCommand::new);
        v.put("exec", ExecCommand::new);
        v.put("attach", AttachCommand::new);
        v.put("login", LoginCommand::new);
        v.put("wait", WaitCommand::new);
        v.put("inspect", InspectCommand::new);
        v.put("auth", AuthCommand::new);
        v.put("vault", VaultCommand::new);
        v.put("ssh", SshCommand::new);
        v.put("gate", GateCommand::new);
        v.put("shield", ShieldCommand::new);
        v.put("clearance", ClearanceCommand::new);
        v.put("image", ImageCommand::new);
        v.put("agents", AgentsCommand::new);
        v.put("project", ProjectCommand::new);
        v.put("task", TaskCommand::new);
        v.put("sickbay", io.terok.cli.agenttask.SickbayCommand::new);
        v.put("config", ConfigCommand::new);
        v.put("panic", PanicCommand::new);
        v.put("console", ConsoleCommand::new);
        v.put("doctor", DoctorCommand::new);
        v.put("cli-spare", SpareCommand::new);
        v.put("completion", CompletionCommand::new);
        v.put("cds-train", CdsTrainCommand::new);
        return v;
    }

    private final Context context;

    @Spec
    CommandSpec spec;

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Print stack traces and gRPC/Netty warnings on errors.")
    void setDebug(boolean debug) {
        context.debug(debug);
    }

    TerokCommand(Context context) {
        this.context = context;
    }

    @Override
    public Context context() {
        return context;
    }

    /** Verbs that talk to the runtime service first thing (agent tasks and projects live there too, on its socket). */
    private static final Set<String> RUNTIME_VERBS = Set.of("run", "ps", "stop", "start", "restart", "rm", "logs", "exec", "attach", "login", "wait", "inspect", "panic", "revoke",
            "task", "project");

    public static void main(String[] args) {
        if (args.length == 2 && args[0].equals("cli-spare") && args[1].equals("serve")) {
            Spare.serve(); // hidden: bin/terok's native client starts it; never returns
        }
        int exit = runAsMain(args);
        afterMain();
        System.exit(exit);
    }

    /**
     * Runs the command as this process's main does, with System.in/out/err and the process's environment (the cold
     * path, and a spare process once it has set System's streams to its client's). Returns the exit code.
     */
    public static int runAsMain(String[] args) {
        prewarm(args);
        return run(args, System.out, System.err, System.getenv(), true);
    }

    /** For a verb of runtime-service: its channel opened and connected on another thread while the verb is set up. */
    public static void prewarm(String[] args) {
        String verb = verbNamed(args);
        if (verb != null && RUNTIME_VERBS.contains(verb) && !Arrays.asList(args).contains("--help")) {
            Prewarm.start(TerokPaths.current().socket(ServiceName.RUNTIME), Arrays.asList(args).contains("--debug"));
        }
    }

    /**
     * The spare's command tree, built while it waits for a client (picocli's model of a verb costs 10-30 ms per build
     * even in a warm JVM, and the spare needed two: one to check the command, one to run it): the same tree checks
     * whether a command may be served and then runs it, as {@link #runAsMain} would, on {@code out} and {@code err}
     * (bound to the client's descriptors once they have arrived).
     */
    public static final class Prepared {
        private final CommandLine cl;
        private final PrintStream out;
        private final PrintStream err;

        private Prepared(PrintStream out, PrintStream err, Map<String, String> env) {
            this.out = out;
            this.err = err;
            this.cl = commandLine(new Context(out, err, env, true), VERBS.keySet());
        }

        /** Null when a spare may run these arguments; else why the client must start the CLI cold. */
        public String refusal(String[] args) {
            return SpareRule.whyNotServed(cl, args);
        }

        /** Runs the arguments with this process's environment (once: the tree keeps what the verb did); the exit code. */
        public int run(String[] args) {
            try {
                return cl.execute(args);
            } finally {
                out.flush();
                err.flush();
            }
        }
    }

    /** @param env this process's environment (the spare serves only clients whose environment it is) */
    public static Prepared prepare(PrintStream out, PrintStream err, Map<String, String> env) {
        return new Prepared(out, err, env);
    }

    /** What main does after the command, before it exits: ends the gRPC threads so the JVM exits at once. */
    public static void afterMain() {
        Prewarm.close();
        UnixChannels.shutdown();
    }

    /** Runs the CLI in this JVM with the process's environment. Returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, System.getenv());
    }

    /** Same, with an explicit environment (TEROK_RUNTIME_DIR, TEROK_STATE_DIR, TEROK_HOME, ...). */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return run(args, out, err, env, false);
    }

    private static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env, boolean ownProcess) {
        Context ctx = new Context(out, err, env, ownProcess);
        CommandLine cl = commandLine(ctx, verbsFor(args));
        try {
            return cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The configured command tree with every verb (for tests that only parse). */
    public static CommandLine commandLine(Context ctx) {
        return commandLine(ctx, VERBS.keySet());
    }

    /** The verbs to register: the one named, none for a bare --version, else all (help, errors, completion). */
    private static Set<String> verbsFor(String[] args) {
        String verb = verbNamed(args);
        if (verb != null) {
            return Set.of(verb);
        }
        boolean versionOnly = args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"));
        return versionOnly ? Set.of() : VERBS.keySet();
    }

    /**
     * The verb the arguments name (the first one that is not an option: the root's options take no values), or
     * null when there is none or it is unknown; then every verb is registered for the help and the error message.
     */
    private static String verbNamed(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return VERBS.containsKey(a) && !a.equals("completion") ? a : null;
            }
        }
        return null;
    }

    private static CommandLine commandLine(Context ctx, Set<String> verbs) {
        CommandLine cl = new CommandLine(new TerokCommand(ctx));
        VERBS.forEach((name, verb) -> {
            if (verbs.contains(name)) {
                cl.addSubcommand(name, verb.get());
            }
        });
        cl.setOut(new PrintWriter(new OutputStreamWriter(ctx.out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(ctx.err, StandardCharsets.UTF_8), true));
        // `terok run img sh -c '@x'` must reach the container untouched: no @argument files.
        cl.setExpandAtFiles(false);
        // Everything after IMAGE (run) or TASK (exec) is the container's command, flags included.
        for (String verb : new String[] {"run", "exec"}) {
            if (cl.getSubcommands().containsKey(verb)) {
                cl.getSubcommands().get(verb).setStopAtPositional(true);
            }
        }
        cl.setParameterExceptionHandler(TerokCommand::usageError);
        cl.setExecutionExceptionHandler(TerokCommand::failure);
        return cl;
    }

    @Override
    public Integer call() {
        context.err.println("terok: a command is needed");
        context.err.print(spec.commandLine().getUsageMessage());
        return CliException.USAGE;
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("terok: " + e.getMessage());
        err.println("hint: " + helpHint(cl));
        err.flush();
        return CliException.USAGE;
    }

    private static int failure(Exception e, CommandLine cl, ParseResult parsed) {
        Context ctx = ((TerokCommand) cl.getCommandSpec().root().userObject()).context;
        PrintStream err = ctx.err;
        if (e instanceof CliException c) {
            err.println("terok: " + c.getMessage());
            if (c.hint() != null) {
                err.println("hint: " + c.hint());
            } else if (c.exitCode() == CliException.USAGE) {
                err.println("hint: " + helpHint(cl));
            }
            if (ctx.debug() && c.getCause() != null) {
                c.getCause().printStackTrace(err);
            }
            return c.exitCode();
        }
        err.println("terok: unexpected error: " + e);
        if (ctx.debug()) {
            e.printStackTrace(err);
        } else {
            err.println("hint: rerun with --debug for the stack trace");
        }
        return CliException.FAILED;
    }

    private static String helpHint(CommandLine cl) {
        return "`" + cl.getCommandSpec().qualifiedName() + " --help` shows the usage";
    }

    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws Exception {
            return new String[] {"terok " + version() + " (Java " + Runtime.version() + ")"};
        }

        static String version() throws java.io.IOException {
            Properties p = new Properties();
            try (InputStream in = TerokCommand.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return p.getProperty("version", "(development build)");
        }
    }
}
