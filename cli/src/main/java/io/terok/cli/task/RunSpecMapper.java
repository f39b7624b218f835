package io.terok.cli.task;

import io.terok.api.v1.Relabel;
import io.terok.api.v1.VolumeMount;
import io.terok.cli.core.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks and converts the text of run/exec options into API values; errors name the option. */
final class RunSpecMapper {
    private static final Pattern CDI_NAME = Pattern.compile("[A-Za-z0-9.-]+/[A-Za-z0-9._-]+=[A-Za-z0-9._:-]+");
    private static final Pattern CAPABILITY = Pattern.compile("[A-Z][A-Z0-9_]*");

    private RunSpecMapper() {
    }

    /**
     * {@code KEY=VALUE}, or a bare {@code KEY} taken from this environment (as podman does); later values win.
     */
    static Map<String, String> env(String option, List<String> items, Map<String, String> processEnv) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq < 0) {
                String value = processEnv.get(item);
                if (item.isEmpty() || value == null) {
                    throw CliException.badValue(option, item,
                            item.isEmpty() ? "expected KEY=VALUE" : item + " is not set here; write " + item + "=VALUE");
                }
                env.put(item, value);
            } else if (eq == 0) {
                throw CliException.badValue(option, item, "the name before '=' is empty");
            } else {
                env.put(item.substring(0, eq), item.substring(eq + 1));
            }
        }
        return env;
    }

    /** {@code KEY=VALUE} pairs (labels, annotations); the value may be empty. */
    static Map<String, String> pairs(String option, List<String> items) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw CliException.badValue(option, item, "expected KEY=VALUE");
            }
            map.put(item.substring(0, eq), item.substring(eq + 1));
        }
        return map;
    }

    /**
     * {@code HOST:CONTAINER[:OPTIONS]}, options a comma list of ro|rw and z|Z. A relative host path is taken
     * from the current directory; it must exist (podman would refuse it later, with a worse message).
     */
    static VolumeMount volume(String option, String spec, Path cwd) {
        String[] parts = spec.split(":", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw CliException.badValue(option, spec, "expected HOST:CONTAINER[:ro|rw][,z|Z]");
        }
        if (parts[0].isEmpty() || parts[1].isEmpty()) {
            throw CliException.badValue(option, spec, (parts[0].isEmpty() ? "host" : "container") + " path is empty");
        }
        Path host = cwd.resolve(parts[0]).toAbsolutePath().normalize();
        if (!Files.exists(host)) {
            throw CliException.badValue(option, spec, "host path " + host + " does not exist");
        }
        if (!parts[1].startsWith("/")) {
            throw CliException.badValue(option, spec, "container path must be absolute");
        }
        VolumeMount.Builder mount = VolumeMount.newBuilder().setHostPath(host.toString()).setContainerPath(parts[1]);
        if (parts.length == 3) {
            String access = null;
            String relabel = null;
            for (String opt : parts[2].split(",", -1)) {
                switch (opt) {
                    case "ro", "rw" -> {
                        if (access != null) {
                            throw CliException.badValue(option, spec, "give ro or rw once");
                        }
                        access = opt;
                    }
                    case "z", "Z" -> {
                        if (relabel != null) {
                            throw CliException.badValue(option, spec, "give z or Z once");
                        }
                        relabel = opt;
                    }
                    default -> throw CliException.badValue(option, spec,
                            "unknown mount option '" + opt + "'; expected ro, rw, z or Z");
                }
            }
            mount.setReadOnly("ro".equals(access));
            if (relabel != null) {
                mount.setRelabel("z".equals(relabel) ? Relabel.RELABEL_SHARED : Relabel.RELABEL_PRIVATE);
            }
        }
        return mount.build();
    }

    static double cpus(String option, String value) {
        try {
            double cpus = Double.parseDouble(value.strip());
            if (cpus > 0 && Double.isFinite(cpus)) {
                return cpus;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw CliException.badValue(option, value, "expected a positive number of CPUs, e.g. 1.5");
    }

    static long positiveLong(String option, String value, String example) {
        try {
            long n = Long.parseLong(value.strip());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw CliException.badValue(option, value, "expected a positive whole number, e.g. " + example);
    }

    /** A CDI device name; {@code all} means every NVIDIA GPU, as in {@code docker run --gpus all}. */
    static String gpu(String option, String value) {
        String name = value.equals("all") ? "nvidia.com/gpu=all" : value;
        if (!CDI_NAME.matcher(name).matches()) {
            throw CliException.badValue(option, value, "expected a CDI device name such as nvidia.com/gpu=all");
        }
        return name;
    }

    /** Capability names are case-insensitive with or without CAP_; the service checks its allowlist. */
    static String capability(String option, String value) {
        String cap = value.strip().toUpperCase(Locale.ROOT);
        if (!CAPABILITY.matcher(cap).matches()) {
            throw CliException.badValue(option, value, "expected a capability name such as NET_BIND_SERVICE");
        }
        return cap;
    }
}
