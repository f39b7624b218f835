package io.terok.runtime.compose;

import io.terok.api.v1.RunSpec;
import io.terok.api.v1.ServiceOptOut;
import io.terok.runtime.spec.ContainerPlan;

/**
 * What the composition of one launch starts from: the task's id and container name (already reserved), the
 * caller's spec and the validated plan, the services the caller opted out of, and the address by which the task
 * reaches services on the host (podman's host loopback).
 */
public record LaunchContext(String taskId, String name, RunSpec spec, ContainerPlan plan, ServiceOptOut optOut,
                            String hostAddress) {
}
