package io.terok.runtime.spec;

/** A validated bind mount. relabel is "", "z" (shared) or "Z" (private). */
public record Mount(String hostPath, String containerPath, boolean readOnly, String relabel) {
}
