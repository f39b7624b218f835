package io.terok.vault.passphrase;

import io.terok.common.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Sets keys in the operator's {@code config.yaml} (the file every service reads). The existing content is kept, as
 * data: SnakeYAML does not round-trip comments, so a file that existed is first copied to
 * {@code config.yaml.before-setup} (once), and the new file is written to a temporary file and moved into place.
 */
public final class ConfigYaml {
    private ConfigYaml() {
    }

    /** @param path dotted path of the key, e.g. {@code terok.vault.secret-service} */
    public static void set(Path file, Map<String, Object> keys) throws IOException {
        Map<String, Object> root = read(file);
        for (Map.Entry<String, Object> e : keys.entrySet()) {
            Map<String, Object> node = root;
            List<String> parts = List.of(e.getKey().split("\\."));
            for (String part : parts.subList(0, parts.size() - 1)) {
                Object child = node.get(part);
                if (!(child instanceof Map)) {
                    if (child != null) {
                        throw new IOException(file + ": " + part + " is not a mapping; fix it by hand");
                    }
                    child = new LinkedHashMap<String, Object>();
                    node.put(part, child);
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> next = (Map<String, Object>) child;
                node = next;
            }
            node.put(parts.get(parts.size() - 1), e.getValue());
        }
        DumperOptions opts = new DumperOptions();
        opts.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        opts.setIndent(2);
        String text = new Yaml(new SafeConstructor(new LoaderOptions()), new Representer(opts), opts).dump(root);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        if (Files.exists(file)) {
            Path backup = file.resolveSibling(file.getFileName() + ".before-setup");
            if (!Files.exists(backup)) {
                Files.copy(file, backup, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        try {
            PrivateFiles.write(file, "# terok configuration (terok setup added the vault passphrase source)\n" + text);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new LinkedHashMap<>();
        }
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file, StandardCharsets.UTF_8));
        if (doc == null) {
            return new LinkedHashMap<>();
        }
        if (!(doc instanceof Map)) {
            throw new IOException(file + " is not a YAML mapping; fix it by hand");
        }
        return new LinkedHashMap<>((Map<String, Object>) doc);
    }
}
