package io.terok.agents.image;

import java.util.Map;

/**
 * One image layer of a plan, ready to build: its tag (repository and a hash of everything that goes into it), the
 * Containerfile, the generated files it needs in the build context, and the labels the build puts on it so
 * {@code list}, {@code usage} and {@code cleanup} can tell terok's layers apart from everything else.
 *
 * @param parent the image it is built FROM: the base image id for L0, the L0 tag for L1, the L1 tag for L2
 * @param files  context-relative path to content, written into the build context before the build
 */
public record Layer(Kind kind, String tag, String hash, String parent, String containerfile, Map<String, String> files,
                    Map<String, String> labels) {
    public Layer {
        files = Map.copyOf(files);
        labels = Map.copyOf(labels);
    }

    public enum Kind {
        L0, L1, L2;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Label keys terok sets on its layers. */
    public static final String LABEL_LAYER = "io.terok.layer";
    public static final String LABEL_INPUTS = "io.terok.inputs";
    public static final String LABEL_PARENT = "io.terok.parent";
    public static final String LABEL_BASE = "io.terok.base";
    public static final String LABEL_AGENTS = "io.terok.agents";
    public static final String LABEL_PROJECT = "io.terok.project";

    /** Instructions in the Containerfile: the number of steps the build reports. */
    public int steps() {
        int n = 0;
        boolean continued = false;
        for (String line : containerfile.split("\n")) {
            String s = line.strip();
            if (!continued && !s.isEmpty() && !s.startsWith("#")) {
                n++;
            }
            continued = s.endsWith("\\");
        }
        return n;
    }
}
