package io.terok.cli;

import io.terok.common.TerokPaths;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** What every verb needs: where to print, the environment it runs in, and where terok keeps its files. */
final class Context {
    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;
    final TerokPaths paths;
    boolean debug;
    /** True in the CLI's own JVM (main), false when embedded through TerokCommand.run. */
    boolean ownProcess;

    Context(PrintStream out, PrintStream err, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.paths = new TerokPaths(env, TerokPaths.isRoot(), Path.of(System.getProperty("user.home")));
    }

    /** Where the service jars live: {@code TEROK_HOME}, else the checkout the CLI was built in. */
    Path terokHome() {
        String home = env.get("TEROK_HOME");
        if (home != null && !home.isBlank()) {
            return Path.of(home).toAbsolutePath().normalize();
        }
        try {
            // cli/target/terok-cli-<v>.jar and cli/target/classes both sit three levels below the checkout.
            Path self = Path.of(TerokCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return self.toAbsolutePath().normalize().getParent().getParent().getParent();
        } catch (URISyntaxException | RuntimeException e) {
            throw new CliException("cannot find the terok installation: " + e.getMessage(),
                    "set TEROK_HOME to the directory that holds runtime-service/, vault-service/, ...");
        }
    }

    /** Call before opening a gRPC channel. */
    void beforeGrpc() {
        if (ownProcess) {
            TerokCommand.quietLibraries(debug);
        }
    }

    void warn(String line) {
        err.println("WARNING: " + line);
    }
}
