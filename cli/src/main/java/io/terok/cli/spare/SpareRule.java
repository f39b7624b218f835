package io.terok.cli.spare;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Whether a spare CLI process may run a command, or the client must start the CLI cold. The one home of that rule.
 *
 * <p>A spare runs the command in a JVM that was started earlier, elsewhere: its own stdin/stdout/stderr are
 * /dev/null (the command gets the client's descriptors as System.in/out/err, nothing below Java sees them), it has
 * no controlling terminal ({@code System.console()} is null), its working directory and environment are those it was
 * started with. So it serves only verbs that print and read through System.in/out/err and never look at a terminal,
 * and only when the client's directory, environment and CLI build are the spare's own.
 */
public final class SpareRule {
    /**
     * Environment variables that differ between shells without changing what the CLI does: the shell's bookkeeping,
     * and the spare's own hand-over variable.
     */
    static final Set<String> VOLATILE_ENV = Set.of("_", "OLDPWD", "SHLVL", "PWD", Spare.PREDECESSOR_ENV);

    /**
     * Verbs (picocli's qualified names below the root) a spare serves: the ones a person or a script runs often, that
     * talk to the services and print. Interactive forms are excluded below. Anything else starts cold: nothing is
     * lost but the spare's head start.
     */
    private static final Set<String> SERVED = Set.of("run", "ps", "inspect", "logs", "wait", "stop", "start", "restart",
            "rm", "revoke", "task run", "task list", "task show", "task logs");

    private SpareRule() {
    }

    /** Null when the parsed command may run in a spare; else why not. */
    public static String whyNotServed(ParseResult parsed) {
        ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        if (parsed.isUsageHelpRequested() || parsed.isVersionHelpRequested() || leaf.isUsageHelpRequested()) {
            return "help";
        }
        String name = leaf.commandSpec().qualifiedName(" ");
        String verb = name.contains(" ") ? name.substring(name.indexOf(' ') + 1) : "";
        if (!SERVED.contains(verb)) {
            return "verb '" + verb + "' is not served by a spare";
        }
        if (verb.equals("run") && leaf.hasMatchedOption("--tty")) {
            return "run -t needs the terminal";
        }
        if (verb.equals("task run") && isBlank(leaf.matchedPositionalValue(1, ""))) {
            return "task run without a prompt is interactive";
        }
        if (leaf.hasMatchedOption("--detach-keys")) {
            return "--detach-keys is for a terminal";
        }
        return null;
    }

    /** Null when the spare may parse the arguments at all (a usage error prints from the cold path, as always). */
    public static String whyNotServed(CommandLine cl, String[] args) {
        try {
            return whyNotServed(cl.parseArgs(args));
        } catch (CommandLine.ParameterException e) {
            return "usage error";
        }
    }

    /**
     * Null when the client's context is the spare's own: same working directory, the same environment but for
     * {@link #VOLATILE_ENV}, the same command line for a spare (java, its options, the jar). Else what differs.
     */
    public static String whyOtherContext(SpareRequest req, String ownCwd, Map<String, String> ownEnv, List<String> ownCommand) {
        if (!req.cwd().equals(ownCwd)) {
            return "another working directory";
        }
        if (!req.spareCommand().equals(ownCommand)) {
            return "another CLI command line";
        }
        Map<String, String> a = relevant(req.env());
        Map<String, String> b = relevant(ownEnv);
        if (!a.equals(b)) {
            for (String k : a.keySet()) {
                if (!Objects.equals(a.get(k), b.get(k))) {
                    return "another environment (" + k + ")";
                }
            }
            for (String k : b.keySet()) {
                if (!a.containsKey(k)) {
                    return "another environment (" + k + ")";
                }
            }
        }
        return null;
    }

    private static Map<String, String> relevant(Map<String, String> env) {
        Map<String, String> m = new TreeMap<>(env);
        m.keySet().removeAll(VOLATILE_ENV);
        return m;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
