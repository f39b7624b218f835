package io.terok.runtime.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.RunSpec;
import io.terok.common.ServiceException;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/** The shape of terok's seccomp profile; {@code HardeningTest} and {@code SeccompRootlessTest} play the attacks. */
class SeccompProfileTest {
    private static Set<String> unconditionallyAllowed(JsonObject profile) {
        Set<String> names = new HashSet<>();
        for (Object o : profile.getJsonArray("syscalls")) {
            JsonObject r = (JsonObject) o;
            boolean plain = r.getJsonArray("args") == null || r.getJsonArray("args").isEmpty();
            if ("SCMP_ACT_ALLOW".equals(r.getString("action")) && plain) {
                r.getJsonArray("names").forEach(n -> names.add((String) n));
            }
        }
        return names;
    }

    @Test
    void removedSyscallsAreAllowedByNoRuleAndTheRestOfPodmansDefaultStays() {
        Set<String> allowed = unconditionallyAllowed(SeccompProfile.build(List.of()));
        SeccompProfile.ADD_BACK.values().forEach(calls -> calls.forEach(c -> assertFalse(allowed.contains(c), c)));
        for (String kept : List.of("read", "write", "execve", "openat", "socket", "connect", "futex", "setns", "wait4")) {
            assertTrue(allowed.contains(kept), kept);
        }
    }

    @Test
    void addBackAllowsExactlyTheNamedGroup() {
        Set<String> allowed = unconditionallyAllowed(SeccompProfile.build(List.of("unshare", "clone")));
        assertTrue(allowed.containsAll(List.of("unshare", "clone", "clone3")), allowed.toString());
        assertFalse(allowed.contains("keyctl"));
        assertFalse(allowed.contains("mount"));
    }

    @Test
    void runSpecValidatorAcceptsOnlyKnownNames() {
        RunSpecValidator v = new RunSpecValidator(List.of(), Set.of(), 4);
        assertEquals(List.of("keyctl"), v.validate(RunSpec.newBuilder().setImage("x").addSeccompAllow("keyctl")
                .addSeccompAllow("keyctl").build()).seccompAllow());
        ServiceException e = Assertions.assertThrows(ServiceException.class,
                () -> v.validate(RunSpec.newBuilder().setImage("x").addSeccompAllow("ptrace").build()));
        assertTrue(e.getMessage().contains("run_spec.seccomp_allow[0]"), e.getMessage());
    }
}
