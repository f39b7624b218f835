package io.terok.cli;

/** Stands in for a service jar that starts but never answers: prints its environment, then sleeps. */
public final class SleeperMain {
    public static void main(String[] args) throws InterruptedException {
        System.out.println("TEROK_RUNTIME_DIR=" + System.getenv("TEROK_RUNTIME_DIR"));
        System.out.println("TEROK_MARKER=" + System.getenv("TEROK_MARKER"));
        System.out.flush();
        Thread.sleep(120_000);
    }
}
