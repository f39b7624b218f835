package io.terok.cli.core;

import io.terok.cli.TerokCommand;
import io.terok.common.TerokPaths;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** What every verb needs: where to print, the environment it runs in, and where terok keeps its files. */
public final class Context {
    /** The root command of the tree: it hands every verb the one Context of this run. */
    public interface Root {
        Context context();
    }

    public final PrintStream out;
    public final PrintStream err;
    public final Map<String, String> env;
    public final TerokPaths paths;
    private boolean debug;
    /** True in the CLI's own JVM (main), false when embedded through TerokCommand.run. */
    private final boolean ownProcess;

    public Context(PrintStream out, PrintStream err, Map<String, String> env) {
        this(out, err, env, false);
    }

    public Context(PrintStream out, PrintStream err, Map<String, String> env, boolean ownProcess) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.ownProcess = ownProcess;
        this.paths = new TerokPaths(env, TerokPaths.isRoot(), Path.of(System.getProperty("user.home")));
    }

    public boolean debug() {
        return debug;
    }

    public void debug(boolean debug) {
        this.debug = debug;
    }

    /** Where the service jars live: {@code TEROK_HOME}, else the checkout the CLI was built in. */
    public Path terokHome() {
        String home = env.get("TEROK_HOME");
        if (home != null && !home.isBlank()) {
            return Path.of(home).toAbsolutePath().normalize();
        }
        try {
            // cli/target/terok-cli-<v>.jar and cli/target/classes both sit three levels below the checkout.
            Path self = Path.of(Context.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return self.toAbsolutePath().normalize().getParent().getParent().getParent();
        } catch (URISyntaxException | RuntimeException e) {
            throw new CliException("cannot find the terok installation: " + e.getMessage(),
                    "set TEROK_HOME to the directory that holds runtime-service/, vault-service/, ...");
        }
    }

    /** Call before opening a gRPC channel. */
    public void beforeGrpc() {
        if (ownProcess) {
            GrpcLogging.quiet(debug);
        }
    }

    public void warn(String line) {
        err.println("WARNING: " + line);
    }
}
