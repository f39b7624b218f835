package io.terok.cli.core;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Base of every subcommand: reaches the shared {@link Context} through the root command. */
public abstract class Verb implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    protected Context ctx() {
        return ((Context.Root) spec.root().userObject()).context();
    }
}
