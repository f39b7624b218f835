package io.terok.runtime.spec;

import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.VolumeMount;
import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a caller's RunSpec into a {@link ContainerPlan}, refusing anything that would weaken the
 * sandbox. Every refusal names the field ({@code run_spec.volumes[0].host_path: ...}) so a caller can fix
 * its request without reading our code.
 */
public final class RunSpecValidator {
    /** Capabilities a task may ask for; everything else stays dropped (NET_ADMIN/NET_RAW would defeat shield). */
    public static final Set<String> GRANTABLE_CAPABILITIES = Set.of("PERFMON", "NET_BIND_SERVICE");

    private static final Pattern IMAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}");
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,127}");
    private static final Pattern CDI_DEVICE = Pattern.compile("[a-z0-9][a-z0-9.-]*/[a-z0-9][a-z0-9.-]*=[A-Za-z0-9][A-Za-z0-9_.:-]*");
    private static final Pattern GPU_NODE = Pattern.compile("/dev/(dri/(card|renderD)[0-9]+|nvidia[0-9]+|nvidiactl|nvidia-uvm|nvidia-uvm-tools|kfd)");
    private static final Pattern SIMPLE_ID = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,15})([bkmg]?)", Pattern.CASE_INSENSITIVE);
    private static final Pattern ULIMIT = Pattern.compile("(nofile|nproc|core|memlock|stack)=([0-9]{1,12})(:([0-9]{1,12}))?");
    private static final long MIN_MEMORY = 6L * 1024 * 1024;

    /** Label prefix reserved for the runtime's own bookkeeping labels. */
    public static final String RESERVED_LABEL_PREFIX = "io.terok.";

    private final List<Path> protectedPaths;
    private final Set<String> allowedAnnotations;
    private final int hostCpus;

    /**
     * @param protectedPaths host paths no task may mount, nor any directory above or below them (the terok
     *        runtime, data, state and config directories, the service sockets, the podman socket)
     */
    public RunSpecValidator(List<Path> protectedPaths, Set<String> allowedAnnotations, int hostCpus) {
        this.protectedPaths = protectedPaths.stream().map(RunSpecValidator::canonical).toList();
        this.allowedAnnotations = Set.copyOf(allowedAnnotations);
        this.hostCpus = hostCpus;
    }

    public ContainerPlan validate(RunSpec spec) {
        String name = spec.getName();
        if (!name.isEmpty() && (!Ids.isTaskName(name) || name.contains(".."))) {
            throw ServiceException.invalid("run_spec.name", "'" + Printable.line(name) + "' is not a valid name "
                    + "(lowercase letters, digits, '-', '_', '.'; 1-63 characters; no '..')");
        }
        if (spec.getImage().isBlank()) {
            throw ServiceException.invalid("run_spec.image", "must not be empty");
        }
        if (!IMAGE.matcher(spec.getImage()).matches()) {
            throw ServiceException.invalid("run_spec.image", "'" + Printable.line(spec.getImage()) + "' is not an image reference");
        }
        for (int i = 0; i < spec.getCommandCount(); i++) {
            noControl("run_spec.command[" + i + "]", spec.getCommand(i), true);
        }
        Map<String, String> env = new LinkedHashMap<>();
        spec.getEnvMap().forEach((k, v) -> {
            if (!ENV_KEY.matcher(k).matches()) {
                throw ServiceException.invalid("run_spec.env", "'" + Printable.line(k) + "' is not a valid variable name");
            }
            noControl("run_spec.env[" + k + "]", v, true);
            env.put(k, v);
        });
        String workdir = spec.getWorkdir();
        if (!workdir.isEmpty()) {
            workdir = absoluteContainerPath("run_spec.workdir", workdir);
        }
        if (!spec.getHostname().isEmpty() && (spec.getHostname().length() > 253 || !HOSTNAME.matcher(spec.getHostname()).matches())) {
            throw ServiceException.invalid("run_spec.hostname", "'" + Printable.line(spec.getHostname()) + "' is not a valid host name");
        }
        List<Mount> mounts = new ArrayList<>();
        for (int i = 0; i < spec.getVolumesCount(); i++) {
            mounts.add(mount("run_spec.volumes[" + i + "]", spec.getVolumes(i)));
        }
        long memory = spec.getLimits().getMemoryBytes();
        if (memory < 0 || (memory > 0 && memory < MIN_MEMORY)) {
            throw ServiceException.invalid("run_spec.limits.memory_bytes", "must be 0 (no limit) or at least 6 MiB, got " + memory);
        }
        double cpus = spec.getLimits().getCpus();
        if (cpus < 0 || Double.isNaN(cpus) || cpus > hostCpus) {
            throw ServiceException.invalid("run_spec.limits.cpus", "must be between 0 (no limit) and " + hostCpus + " (this host's CPUs), got " + cpus);
        }
        long pids = spec.getLimits().getPids();
        if (pids < 0) {
            throw ServiceException.invalid("run_spec.limits.pids", "must be 0 (no limit) or positive, got " + pids);
        }
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < spec.getGpusCount(); i++) {
            devices.add(gpuDevice("run_spec.gpus[" + i + "]", spec.getGpus(i)));
        }
        List<String> caps = new ArrayList<>();
        for (int i = 0; i < spec.getCapabilitiesCount(); i++) {
            String c = spec.getCapabilities(i).toUpperCase(Locale.ROOT);
            c = c.startsWith("CAP_") ? c.substring(4) : c;
            if (!GRANTABLE_CAPABILITIES.contains(c)) {
                throw ServiceException.invalid("run_spec.capabilities[" + i + "]", "'" + Printable.line(spec.getCapabilities(i))
                        + "' cannot be granted (grantable: " + String.join(", ", new java.util.TreeSet<>(GRANTABLE_CAPABILITIES)) + ")");
            }
            caps.add("CAP_" + c);
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        spec.getAnnotationsMap().forEach((k, v) -> {
            if (!allowedAnnotations.contains(k)) {
                throw ServiceException.invalid("run_spec.annotations", "'" + Printable.line(k) + "' is not an allowed annotation (allowed: "
                        + (allowedAnnotations.isEmpty() ? "none" : String.join(", ", new java.util.TreeSet<>(allowedAnnotations))) + ")");
            }
            noControl("run_spec.annotations[" + k + "]", v, false);
            annotations.put(k, v);
        });
        Map<String, String> labels = new LinkedHashMap<>();
        spec.getLabelsMap().forEach((k, v) -> {
            if (!LABEL_KEY.matcher(k).matches()) {
                throw ServiceException.invalid("run_spec.labels", "'" + Printable.line(k) + "' is not a valid label key");
            }
            if (k.startsWith(RESERVED_LABEL_PREFIX)) {
                throw ServiceException.invalid("run_spec.labels", "'" + k + "': the " + RESERVED_LABEL_PREFIX + " prefix is reserved for terok");
            }
            noControl("run_spec.labels[" + k + "]", v, false);
            labels.put(k, v);
        });
        if (!spec.getProject().isEmpty() && !Ids.isProject(spec.getProject())) {
            throw ServiceException.invalid("run_spec.project", "'" + Printable.line(spec.getProject()) + "' is not a valid project name");
        }
        checkIds("run_spec.providers", spec.getProvidersList());
        checkIds("run_spec.shield_profiles", spec.getShieldProfilesList());

        ExtraArgs extra = ExtraArgs.parse(spec.getExtraArgsList());
        devices.addAll(extra.devices);

        boolean network = spec.getNetwork() != NetworkMode.NETWORK_MODE_NONE;
        if (spec.getNetwork() == NetworkMode.UNRECOGNIZED) {
            throw ServiceException.invalid("run_spec.network", "unknown network mode");
        }
        return new ContainerPlan(name, spec.getImage(), List.copyOf(spec.getCommandList()), Map.copyOf(env), workdir,
                spec.getHostname(), List.copyOf(mounts), memory, cpus, pids, List.copyOf(devices), List.copyOf(caps),
                Map.copyOf(annotations), spec.getReadOnlyRoot(), Map.copyOf(labels), network, spec.getTty(),
                extra.shmSize, List.copyOf(extra.tmpfs), Map.copyOf(extra.ulimits), List.of(), Map.of(),
                seccompAllow(spec.getSeccompAllowList()));
    }

    private static List<String> seccompAllow(List<String> names) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            if (!SeccompProfile.ADD_BACK.containsKey(n)) {
                throw ServiceException.invalid("run_spec.seccomp_allow[" + i + "]", "'" + Printable.line(n)
                        + "' cannot be added back (only: " + String.join(", ", SeccompProfile.ADD_BACK.keySet()) + ")");
            }
            if (!out.contains(n)) {
                out.add(n);
            }
        }
        return List.copyOf(out);
    }

    private Mount mount(String field, VolumeMount v) {
        if (v.getHostPath().isEmpty() || !v.getHostPath().startsWith("/")) {
            throw ServiceException.invalid(field + ".host_path", "must be an absolute path, got '" + Printable.line(v.getHostPath()) + "'");
        }
        noTraversal(field + ".host_path", v.getHostPath());
        Path host = Path.of(v.getHostPath());
        // Followed links: a dangling symlink does not exist, so it cannot be checked, nor later pointed anywhere.
        if (!Files.exists(host)) {
            throw ServiceException.invalid(field + ".host_path", v.getHostPath() + " does not exist");
        }
        Path real = canonical(host);
        if (real.startsWith("/dev") || real.startsWith("/proc") || real.startsWith("/sys")) {
            throw ServiceException.invalid(field + ".host_path", real + " is a kernel interface; devices other than GPUs cannot be passed in");
        }
        for (Path p : protectedPaths) {
            if (p.startsWith(real) || real.startsWith(p)) {
                throw ServiceException.invalid(field + ".host_path", real + " would expose " + p
                        + " (terok's own sockets, records or configuration, or the podman socket) to the task");
            }
        }
        String target = absoluteContainerPath(field + ".container_path", v.getContainerPath());
        if (target.equals("/")) {
            throw ServiceException.invalid(field + ".container_path", "cannot mount over /");
        }
        String relabel = switch (v.getRelabel()) {
            case RELABEL_SHARED -> "z";
            case RELABEL_PRIVATE -> "Z";
            case RELABEL_UNSPECIFIED -> "";
            default -> throw ServiceException.invalid(field + ".relabel", "unknown relabel mode");
        };
        return new Mount(real.toString(), target, v.getReadOnly(), relabel);
    }

    private static String absoluteContainerPath(String field, String path) {
        if (path.isEmpty() || !path.startsWith("/")) {
            throw ServiceException.invalid(field, "must be an absolute path, got '" + Printable.line(path) + "'");
        }
        noTraversal(field, path);
        noControl(field, path, false);
        return Path.of(path).normalize().toString();
    }

    private static void noTraversal(String field, String path) {
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                throw ServiceException.invalid(field, "'" + Printable.line(path) + "' contains '..'");
            }
        }
    }

    private static String gpuDevice(String field, String value) {
        if (CDI_DEVICE.matcher(value).matches() || GPU_NODE.matcher(value).matches()) {
            return value;
        }
        throw ServiceException.invalid(field, "'" + Printable.line(value) + "' is not a GPU (a CDI name like nvidia.com/gpu=all, "
                + "or /dev/dri/renderD*, /dev/nvidia*, /dev/kfd)");
    }

    private static void checkIds(String field, List<String> ids) {
        for (int i = 0; i < ids.size(); i++) {
            if (!SIMPLE_ID.matcher(ids.get(i)).matches()) {
                throw ServiceException.invalid(field + "[" + i + "]", "'" + Printable.line(ids.get(i)) + "' is not a valid name");
            }
        }
    }

    private static void noControl(String field, String value, boolean allowNewlines) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0 || (!allowNewlines && (c == '\n' || c == '\r'))) {
                throw ServiceException.invalid(field, "contains a NUL or line break");
            }
        }
    }

    static Path canonical(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    static long size(String field, String value) {
        var m = SIZE.matcher(value);
        if (!m.matches()) {
            throw ServiceException.invalid(field, "'" + Printable.line(value) + "' is not a size (like 64m or 1g)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> n * 1024;
            case "m" -> n * 1024 * 1024;
            case "g" -> n * 1024 * 1024 * 1024;
            default -> n;
        };
    }

    /** The few podman flags a caller may pass through; anything else is refused by name. */
    static final class ExtraArgs {
        long shmSize;
        final List<String> tmpfs = new ArrayList<>();
        final Map<String, long[]> ulimits = new LinkedHashMap<>();
        final List<String> devices = new ArrayList<>();

        static ExtraArgs parse(List<String> args) {
            ExtraArgs out = new ExtraArgs();
            for (int i = 0; i < args.size(); i++) {
                String field = "run_spec.extra_args[" + i + "]";
                String arg = args.get(i);
                String flag = arg;
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    flag = arg.substring(0, eq);
                    value = arg.substring(eq + 1);
                }
                String why = refusal(flag, value);
                if (why != null) {
                    throw ServiceException.invalid(field, "'" + Printable.line(arg) + "' is refused: " + why);
                }
                if (!Set.of("--shm-size", "--tmpfs", "--ulimit", "--device").contains(flag)) {
                    throw ServiceException.invalid(field, "'" + Printable.line(flag) + "' is not an allowed podman flag "
                            + "(allowed: --shm-size, --tmpfs, --ulimit, --device for GPUs)");
                }
                if (value == null) {
                    if (i + 1 >= args.size()) {
                        throw ServiceException.invalid(field, flag + " needs a value");
                    }
                    value = args.get(++i);
                }
                switch (flag) {
                    case "--shm-size" -> out.shmSize = size(field, value);
                    case "--tmpfs" -> out.tmpfs.add(absoluteContainerPath(field, value.split(":", 2)[0]));
                    case "--ulimit" -> {
                        var m = ULIMIT.matcher(value);
                        if (!m.matches()) {
                            throw ServiceException.invalid(field, "'" + Printable.line(value) + "' is not a ulimit (nofile|nproc|core|memlock|stack=SOFT[:HARD])");
                        }
                        long soft = Long.parseLong(m.group(2));
                        long hard = m.group(4) == null ? soft : Long.parseLong(m.group(4));
                        out.ulimits.put(m.group(1), new long[] {soft, hard});
                    }
                    case "--device" -> out.devices.add(gpuDevice(field, value));
                    default -> throw new IllegalStateException(flag);
                }
            }
            return out;
        }

        private static String refusal(String flag, String value) {
            switch (flag) {
                case "--privileged":
                    return "privileged containers defeat the sandbox";
                case "--security-opt":
                    return "seccomp, no-new-privileges and labels are fixed by terok (run_spec.seccomp_allow adds back a syscall from a short list)";
                case "--cap-add":
                case "--cap-drop":
                    return "use run_spec.capabilities (allowlisted)";
                case "--network":
                case "--net":
                case "--pid":
                case "--ipc":
                case "--uts":
                case "--userns":
                case "--cgroupns":
                    return "namespaces are chosen by terok" + ("host".equals(value) ? " (host namespaces are never shared)" : "");
                case "-v":
                case "--volume":
                case "--mount":
                    return "use run_spec.volumes (checked against protected paths)";
                case "--annotation":
                case "--label":
                    return "use run_spec.annotations / run_spec.labels";
                case "--hooks-dir":
                case "--runtime":
                case "--init-path":
                    return "the container runtime and its hooks are fixed by terok";
                default:
                    return null;
            }
        }
    }
}
