package io.terok.cli.task;

import io.terok.cli.core.CliException;
import java.io.IOException;
import java.util.EnumSet;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.ControlChar;
import org.jline.terminal.Attributes.ControlFlag;
import org.jline.terminal.Attributes.InputFlag;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Attributes.OutputFlag;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The operator's own terminal during an attached session: raw (every key, ctrl-c and ctrl-z included, goes to the
 * task; nothing echoed or translated here) and given back exactly as it was on every way out: {@link #close}, a
 * shutdown hook for SIGTERM/SIGHUP/ctrl-c from another terminal, and exceptions through try-with-resources.
 */
final class OperatorTerminal implements AutoCloseable {
    private final Terminal terminal;
    private final Attributes original;
    private final Thread restoreHook;
    private volatile boolean restored;

    private OperatorTerminal(Terminal terminal) {
        this.terminal = terminal;
        this.original = new Attributes(terminal.getAttributes());
        this.restoreHook = new Thread(this::restore, "terok-terminal-restore");
    }

    /** True when stdin and stdout are both a terminal: only then is the session interactive. */
    static boolean available() {
        return System.console() != null;
    }

    static OperatorTerminal open() {
        try {
            // The exec provider runs stty on the controlling terminal: no native library in the CLI. No grapheme
            // cluster probe: its answer would be read from stdin by a JLine thread that then keeps reading, taking
            // keys meant for the task (and holding the exit while it waits for one). terok reads stdin itself.
            Terminal t = TerminalBuilder.builder().system(true).provider("exec").nativeSignals(true)
                    .graphemeCluster(false).build();
            return new OperatorTerminal(t);
        } catch (IOException | RuntimeException e) {
            throw new CliException("cannot take over this terminal: " + e.getMessage(),
                    "run terok from a terminal, or pipe input to it for a non-interactive session");
        }
    }

    Size size() {
        return terminal.getSize();
    }

    /** Calls {@code onResize} on every SIGWINCH. */
    void onResize(Runnable onResize) {
        terminal.handle(Terminal.Signal.WINCH, s -> onResize.run());
    }

    /** Raw mode as cfmakeraw(3) sets it. */
    void raw() {
        Runtime.getRuntime().addShutdownHook(restoreHook);
        Attributes raw = new Attributes(original);
        raw.setInputFlags(EnumSet.of(InputFlag.IGNBRK, InputFlag.BRKINT, InputFlag.PARMRK, InputFlag.ISTRIP,
                InputFlag.INLCR, InputFlag.IGNCR, InputFlag.ICRNL, InputFlag.IXON), false);
        raw.setOutputFlag(OutputFlag.OPOST, false);
        raw.setLocalFlags(EnumSet.of(LocalFlag.ECHO, LocalFlag.ECHONL, LocalFlag.ICANON, LocalFlag.ISIG,
                LocalFlag.IEXTEN), false);
        raw.setControlFlags(EnumSet.of(ControlFlag.PARENB), false);
        raw.setControlFlag(ControlFlag.CS8, true);
        raw.setControlChar(ControlChar.VMIN, 1);
        raw.setControlChar(ControlChar.VTIME, 0);
        terminal.setAttributes(raw);
    }

    private synchronized void restore() {
        if (restored) {
            return;
        }
        restored = true;
        try {
            terminal.setAttributes(original);
        } catch (RuntimeException e) {
            System.err.println("terok: could not restore the terminal (`stty sane` does): " + e.getMessage());
        }
    }

    @Override
    public void close() {
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // shutting down (the hook restored it), or raw() was never reached
        }
        terminal.handle(Terminal.Signal.WINCH, Terminal.SignalHandler.SIG_DFL);
        // Not terminal.close() here: JLine's own exit hook does it; the attributes are already back.
    }
}
