package io.terok.runtime.podman;

import io.terok.common.TasksCgroup;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Decides, at each launch, the parent cgroup of a task container ({@link TasksCgroup}): makes sure terok's weighted
 * {@code /terok-tasks} is there where it can be, and records a changed outcome for {@code terok doctor} and the log.
 */
public final class TaskCgroupParent implements Function<HostProfile, Optional<String>> {
    private static final Logger LOG = Logger.getLogger(TaskCgroupParent.class);

    private final TasksCgroup cgroup;
    private final long shares;
    private final Path runtimeDir;
    private String recorded;

    /** @param shares the tasks' weight as cgroup v1 cpu.shares, 0 for off (terok.runtime.tasks-cpu-shares) */
    public TaskCgroupParent(TasksCgroup cgroup, long shares, Path runtimeDir) {
        this.cgroup = cgroup;
        this.shares = shares;
        this.runtimeDir = runtimeDir;
    }

    @Override
    public synchronized Optional<String> apply(HostProfile host) {
        TasksCgroup.Placement p = cgroup.ensure(host.cgroups(), shares);
        String line = p.line();
        if (!line.equals(recorded)) {
            recorded = line;
            TasksCgroup.record(runtimeDir, p);
            if (line.startsWith(TasksCgroup.FAILED)) {
                LOG.warnf("task containers' parent cgroup: %s", line);
            } else {
                LOG.infof("task containers' parent cgroup: %s", line);
            }
        }
        return p.parent();
    }
}
