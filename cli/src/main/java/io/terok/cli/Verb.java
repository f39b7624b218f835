package io.terok.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Base of every subcommand: reaches the shared {@link Context} through the root command. */
abstract class Verb implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    Context ctx() {
        return ((TerokCommand) spec.root().userObject()).context();
    }
}
