package io.terok.gate.json;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.terok.common.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The gate's small JSON files, written through {@link PrivateFiles} (atomic, 0600). */
public final class JsonFiles {
    /**
     * Built when a file is first read or written, not when a class that uses it loads: Jackson's first mapper sets up
     * about 380 classes, which a gate with no tokens and no projects yet never needs at its start.
     */
    private static final class Holder {
        static final ObjectMapper MAPPER = new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    private JsonFiles() {
    }

    public static ObjectMapper mapper() {
        return Holder.MAPPER;
    }

    /** The list in {@code file}, or an empty list when there is no such file. */
    public static <E> List<E> readList(Path file, Class<E> element) {
        if (!Files.exists(file)) {
            return List.of();
        }
        return read(file, mapper().getTypeFactory().constructCollectionType(List.class, element), List.<E>of());
    }

    public static <T> T read(Path file, JavaType type, T empty) {
        if (!Files.exists(file)) {
            return empty;
        }
        try {
            return mapper().readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static <T> T read(Path file, Class<T> type, T empty) {
        if (!Files.exists(file)) {
            return empty;
        }
        return read(file, mapper().constructType(type), empty);
    }

    public static void write(Path file, Object value) {
        byte[] json;
        try {
            json = mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        PrivateFiles.write(file, json);
    }
}
