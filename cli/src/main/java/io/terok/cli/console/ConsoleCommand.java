package io.terok.cli.console;

import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import io.terok.cli.services.EmbeddedConsole;
import io.terok.common.console.ConsoleLoginTokens;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code terok console}: starts the web console if this installation's is not running, mints a one-time login
 * token (valid two minutes, single use) and prints the address that logs a browser in with it.
 */
@Command(name = "console", description = {"Start the web console (if needed) and print a one-time login address.",
    "The address works once, within two minutes; run `terok console` again for another browser. The console listens on "
        + "127.0.0.1 only (port 9421; TEROK_CONSOLE_PORT or terok.console.port in config.yaml)."})
public final class ConsoleCommand extends Verb {
    @Option(names = "--open", description = "Also open the address in a browser (xdg-open).")
    boolean open;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to wait for the console to start (default ${DEFAULT-VALUE}).")
    int timeout;

    @Override
    public Integer call() throws IOException {
        Context ctx = ctx();
        EmbeddedConsole console = new EmbeddedConsole(ctx);
        OptionalInt running = console.running();
        int port = running.isPresent() ? running.getAsInt() : console.up(timeout);
        String token = new ConsoleLoginTokens(ctx.paths.runtimeDir()).mint();
        String url = "http://127.0.0.1:" + port + "/login?token=" + token;
        ctx.out.println("Console: http://127.0.0.1:" + port + "/");
        ctx.out.println("Log in (once, within two minutes): " + url);
        if (open) {
            Optional<Path> xdgOpen = onPath(ctx, "xdg-open");
            if (xdgOpen.isEmpty()) {
                ctx.warn("no xdg-open on PATH: open the address above yourself");
            } else {
                new ProcessBuilder(xdgOpen.get().toString(), url)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
            }
        }
        return 0;
    }

    private static Optional<Path> onPath(Context ctx, String program) {
        String path = ctx.env.getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
