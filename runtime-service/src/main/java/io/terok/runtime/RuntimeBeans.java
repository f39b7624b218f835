package io.terok.runtime;

import io.terok.common.ServiceName;
import io.terok.common.PrivateFiles;
import io.terok.common.TasksCgroup;
import io.terok.runtime.attach.AttachSessions;
import io.terok.agents.build.PodmanImageBuilder;
import io.terok.agents.stage.Stager;
import io.terok.runtime.agenttask.AgentTaskRunner;
import io.terok.runtime.agenttask.AgentTaskStore;
import io.terok.runtime.agenttask.TaskManagerContainers;
import io.terok.runtime.compose.GrpcTaskServices;
import io.terok.runtime.project.AgentProjectImages;
import io.terok.runtime.project.GitIdentity;
import io.terok.runtime.project.GrpcProjectPeers;
import io.terok.runtime.project.ProjectSetup;
import io.terok.runtime.project.ProjectStore;
import io.terok.runtime.panic.EmergencyStop;
import io.terok.runtime.panic.PanicLock;
import io.terok.runtime.podman.LibpodClient;
import io.terok.runtime.podman.PodmanEndpoint;
import io.terok.runtime.podman.TaskCgroupParent;
import io.terok.runtime.spec.RunSpecValidator;
import io.terok.runtime.task.TaskManager;
import io.terok.runtime.task.TaskStore;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Wires the plain domain classes together from configuration. */
@ApplicationScoped
public class RuntimeBeans {
    /** Attached sessions at once: each holds a thread and a podman connection. */
    private static final int MAX_ATTACH_SESSIONS = 64;
    private final PodmanEndpoint endpoint = new PodmanEndpoint();
    private LibpodClient client;
    private GrpcTaskServices services;
    private GrpcProjectPeers peers;
    private Path podmanSocket;

    @Produces
    @Singleton
    PanicLock panicLock(RuntimeConfig config) {
        return new PanicLock(PrivateFiles.directory(config.dataDir().resolve("runtime")).resolve("panic.lock"), Clock.systemUTC());
    }

    @Produces
    @Singleton
    EmergencyStop emergencyStop(PanicLock lock, TaskManager tasks) {
        // The TaskManager parameter is made first, and with it the podman client and the service channels used here.
        return new EmergencyStop(lock, tasks, client, services);
    }

    @Produces
    @Singleton
    TaskManager taskManager(RuntimeConfig config, Vertx vertx, PanicLock panic) {
        Duration timeout = config.podman().callTimeout();
        Path socket = endpoint.resolve(p -> {
            LibpodClient probe = new LibpodClient(vertx, p, Duration.ofSeconds(2));
            try {
                return probe.ping(Duration.ofSeconds(2));
            } finally {
                probe.close();
            }
        }, config.podman().socket().orElse(null), config.runtimeDir(), config.podman().startService(),
                config.stateDir().resolve("logs").resolve("podman-service.log"));
        client = new LibpodClient(vertx, socket, timeout);
        podmanSocket = socket;
        services = new GrpcTaskServices(config.runtimeDir(), config.services().deadline().toMillis());
        List<Path> protectedPaths = new ArrayList<>();
        // Sockets, and terok's own records, vault database, gate mirrors and configuration.
        protectedPaths.add(config.runtimeDir());
        protectedPaths.add(config.dataDir());
        protectedPaths.add(config.stateDir());
        protectedPaths.add(config.configDir());
        protectedPaths.add(socket);
        for (ServiceName s : ServiceName.values()) {
            protectedPaths.add(s.socket(config.runtimeDir()));
        }
        config.runtime().protectedPaths().ifPresent(protectedPaths::addAll);
        RunSpecValidator validator = new RunSpecValidator(protectedPaths, config.runtime().allowedAnnotations(),
                Runtime.getRuntime().availableProcessors());
        TaskStore store = new TaskStore(config.dataDir().resolve("runtime").resolve("tasks"));
        // Beside the sockets: the Quadlet deployment mounts the runtime directory at the same path as on the host,
        // where podman reads the profile.
        TaskManager tasks = new TaskManager(client, store, services, validator, panic, config.runtimeDir().resolve("seccomp"));
        tasks.useCgroupParent(new TaskCgroupParent(new TasksCgroup(Path.of("/sys/fs/cgroup")),
                config.runtime().tasksCpuShares(), config.runtimeDir()));
        return tasks;
    }

    @Produces
    @Singleton
    AttachSessions attachSessions(TaskManager tasks, AgentTaskRunner agentTasks) {
        // The TaskManager parameter is made first, and with it the podman client. An agent task's interactive
        // sessions are kept in its output, so `terok task logs` shows them afterwards.
        AgentTaskStore store = agentTasks.store();
        return new AttachSessions(tasks, client, MAX_ATTACH_SESSIONS, task -> store.get(task.getId()).isEmpty() ? null
                : (data, length) -> store.appendTranscript(task.getId(), data, length));
    }

    @Produces
    @Singleton
    ProjectSetup projectSetup(RuntimeConfig config, TaskManager tasks) {
        peers = new GrpcProjectPeers(config.runtimeDir(), config.services().deadline());
        Path stage = config.projects().stageDir().orElse(config.dataDir().resolve("images").resolve("stage"));
        AgentProjectImages images = new AgentProjectImages(config.configDir().resolve("agents"),
                new PodmanImageBuilder().networkForL0AndL2(config.projects().buildNetwork()), new Stager(stage), client::imageId);
        return new ProjectSetup(new ProjectStore(config.configDir().resolve("projects")), peers, images,
                new GitIdentity(config.configDir().resolve("config.yaml"), GitIdentity::hostGit),
                config.projects().defaultBaseImage(),
                project -> tasks.records().stream().anyMatch(t -> t.getSpec().getProject().equals(project)));
    }

    @Produces
    @Singleton
    AgentTaskRunner agentTaskRunner(RuntimeConfig config, TaskManager tasks, ProjectSetup projects) {
        AgentProjectImages images = (AgentProjectImages) projects.images();
        return new AgentTaskRunner(projects, peers, new TaskManagerContainers(tasks, podmanSocket),
                new AgentTaskStore(config.dataDir().resolve("runtime").resolve("agent-tasks"),
                        config.projects().taskConfigDir().orElse(config.dataDir().resolveSibling(config.dataDir().getFileName() + "-tasks"))),
                images::roster);
    }

    @PreDestroy
    void close() {
        if (peers != null) {
            peers.close();
        }
        if (services != null) {
            services.close();
        }
        endpoint.close();
    }
}
