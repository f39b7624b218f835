package io.terok.agents.roster;

import io.terok.common.PrivateFiles;
import io.terok.common.ServiceException;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * An agent's writable configuration for one task, on the host: each of its configuration directories (~/.claude,
 * ~/.codex, ...) is a per-task copy seeded from the project's template, and the rendered configuration files land
 * in it (or, for files outside the home directory such as Claude Code's managed settings, beside it, to be mounted
 * read-only). The task changes only its own copy; the template and other tasks never see it.
 */
public final class TaskConfig {
    private TaskConfig() {
    }

    /** A bind mount for the runtime: host path, path in the container, read-only or not. */
    public record Mount(Path host, String container, boolean readOnly) {
    }

    /**
     * Seeds {@code taskDir} for {@code launch} and returns the mounts the task container needs.
     *
     * @param containerHome the home directory the launch was rendered with ({@code /home/dev})
     * @param template      the project's template directory (holding e.g. {@code .claude/}), or null for none
     * @param taskDir       the task's private directory on the host; {@code home/} and {@code files/} go in it
     */
    public static List<Mount> seed(AgentDefinition agent, Invocation.Launch launch, String containerHome,
                                   Path template, Path taskDir) {
        Path home = PrivateFiles.directory(taskDir.resolve("home"));
        List<Mount> mounts = new ArrayList<>();
        for (String rel : agent.configDirs()) {
            Path dst = home.resolve(rel);
            if (!Files.isDirectory(dst)) {
                // A restarted task keeps what it has; only a new one is seeded.
                Path src = template == null ? null : template.resolve(rel);
                if (src != null && Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
                    copyTree(src, dst);
                } else {
                    PrivateFiles.directory(dst);
                }
            }
            mounts.add(new Mount(dst, containerHome + "/" + rel, false));
        }
        String prefix = containerHome + "/";
        for (Invocation.File f : launch.files()) {
            if (f.path().startsWith(prefix)) {
                Path target = home.resolve(f.path().substring(prefix.length())).normalize();
                if (!target.startsWith(home)) {
                    throw ServiceException.invalid("file", f.path() + " leaves the home directory");
                }
                if (agent.configDirs().stream().noneMatch(d -> target.startsWith(home.resolve(d)))) {
                    throw ServiceException.invalid("file", f.path() + " is not in one of " + agent.id()
                            + "'s configuration directories, so the task would not see it");
                }
                PrivateFiles.directory(target.getParent());
                PrivateFiles.write(target, f.content());
            } else {
                Path target = taskDir.resolve("files").resolve(f.path().substring(1)).normalize();
                if (!target.startsWith(taskDir.resolve("files"))) {
                    throw ServiceException.invalid("file", f.path() + " is not a clean absolute path");
                }
                PrivateFiles.directory(target.getParent());
                PrivateFiles.write(target, f.content());
                mounts.add(new Mount(target, f.path(), true));
            }
        }
        return mounts;
    }

    /** Copies regular files and directories only: a symlink in a template could otherwise expose host files. */
    private static void copyTree(Path src, Path dst) {
        try {
            Files.walkFileTree(src, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    PrivateFiles.directory(dst.resolve(src.relativize(dir).toString()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (attrs.isRegularFile()) {
                        PrivateFiles.write(dst.resolve(src.relativize(file).toString()), Files.readAllBytes(file));
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw ServiceException.internal("cannot seed " + dst + " from " + src + ": " + e.getMessage(), e);
        }
    }
}
