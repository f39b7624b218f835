package io.terok.cli;

/** Stands in for a service jar that fails at start-up. */
public final class CrashMain {
    public static void main(String[] args) {
        System.err.println("boom: cannot open the database");
        System.exit(3);
    }
}
