package io.terok.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A bare repository whose main branch has one commit ("seed", a README): what the test git servers serve. */
final class SeededRepository {
    private SeededRepository() {
    }

    /** Creates {@code repo} (bare), seeded through a work tree at {@code seed} whose README says {@code readme}. */
    static Path create(Path repo, Path seed, String readme) {
        Cmd.ok("git", "init", "-q", "--bare", "-b", "main", repo.toString());
        Cmd.ok("git", "init", "-q", "-b", "main", seed.toString());
        try {
            Files.writeString(seed.resolve("README"), readme);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Cmd.ok("sh", "-c", "cd '" + seed + "' && git add README && git -c user.email=t@e -c user.name=t commit -q -m seed"
                + " && git push -q '" + repo + "' main");
        return repo;
    }
}
