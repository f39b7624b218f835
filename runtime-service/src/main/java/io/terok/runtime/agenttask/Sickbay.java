package io.terok.runtime.agenttask;

import io.terok.api.v1.SickbayCheck;
import io.terok.api.v1.SickbayLevel;
import io.terok.common.Printable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Health checks of one running agent task, each a command in its container, so what they see is what the agent sees:
 * its network, its firewall, its environment (the phantom token is read there, never passed in from the host).
 */
final class Sickbay {
    /** TEST-NET-1 (RFC 5737): never routed, and outside every allow list, so only a working firewall refuses it quickly. */
    static final String BLOCKED_PROBE = "http://192.0.2.1/";
    private static final Duration SHORT = Duration.ofSeconds(20);

    private final AgentContainers containers;
    private final String taskId;

    Sickbay(AgentContainers containers, String taskId) {
        this.containers = containers;
        this.taskId = taskId;
    }

    private AgentContainers.Exec exec(List<String> argv) {
        return containers.exec(taskId, argv, AgentTaskRunner.WORKSPACE, SHORT);
    }

    static SickbayCheck check(String name, SickbayLevel level, String detail, String fix) {
        return SickbayCheck.newBuilder().setName(name).setLevel(level).setDetail(Printable.line(detail, 300)).setFix(fix).build();
    }

    private static String firstLine(AgentContainers.Exec r) {
        String s = (r.stdout() + "\n" + r.stderr()).strip();
        return s.isEmpty() ? "exit " + r.exitCode() : s.lines().findFirst().orElse("");
    }

    /**
     * Where the vault puts a subscription's phantom instead of the roster's {@code token_env} (the vault's
     * TaskWiring.SUBSCRIPTION_TOKEN_ENV): a Claude task on a subscription has CLAUDE_CODE_OAUTH_TOKEN only.
     */
    static final java.util.Map<String, String> SUBSCRIPTION_TOKEN_ENV = java.util.Map.of("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN");

    /**
     * The broker with the task's own phantom token: an upstream call on the provider's route. The broker's own refusal
     * (its error codes) means the token is not accepted; any answer of the upstream means it was.
     */
    SickbayCheck broker(String brokerUrl, String tokenEnv) {
        String subscriptionEnv = SUBSCRIPTION_TOKEN_ENV.getOrDefault(tokenEnv, tokenEnv);
        AgentContainers.Exec r = exec(List.of("sh", "-c", "tok=$(printenv \"$1\" || printenv \"$3\") || exit 3; "
                + "curl -sS -m 10 -H \"x-api-key: $tok\" -w '\\nHTTP %{http_code}' \"$2/v1/models\"", "sh", tokenEnv, brokerUrl,
                subscriptionEnv));
        String out = r.stdout();
        if (r.exitCode() == 3) {
            String names = tokenEnv + (subscriptionEnv.equals(tokenEnv) ? "" : " or " + subscriptionEnv);
            return check("broker", SickbayLevel.SICKBAY_LEVEL_ERROR, "no " + names + " in the task's environment",
                    "start a new task (`terok task run`); the vault injects the phantom token at launch");
        }
        if (r.exitCode() != 0) {
            return check("broker", SickbayLevel.SICKBAY_LEVEL_ERROR, "broker at " + brokerUrl + " unreachable: " + firstLine(r),
                    "check the vault service (`terok services status`) and the task's firewall allows the broker");
        }
        if (out.contains("invalid_token") || out.contains("missing_token")) {
            return check("broker", SickbayLevel.SICKBAY_LEVEL_ERROR, "the broker refuses the task's phantom token ("
                    + out.substring(out.lastIndexOf("HTTP ")) + ")", "the token was revoked (`terok revoke`) or has expired: "
                    + "start a new task (`terok task run`)");
        }
        return check("broker", SickbayLevel.SICKBAY_LEVEL_OK, "reachable, phantom token accepted (upstream answered "
                + out.substring(out.lastIndexOf("HTTP ")) + ")", "");
    }

    /** The gate with the task's own token, as the agent's git push would use it. */
    SickbayCheck gate() {
        // Online mode: origin is the upstream and the gate is the remote named gate.
        AgentContainers.Exec r = exec(List.of("sh", "-c", "cd \"$1\" && r=origin && { git remote | grep -qx gate && r=gate; }; "
                + "git ls-remote -q \"$r\" HEAD && echo \"remote=$r\"", "terok-sickbay", AgentTaskRunner.WORKSPACE));
        if (r.ok()) {
            return check("gate", SickbayLevel.SICKBAY_LEVEL_OK, "reachable, token accepted (git ls-remote "
                    + (r.stdout().contains("remote=gate") ? "gate" : "origin") + ")", "");
        }
        String err = firstLine(r);
        boolean refused = err.contains("401") || err.contains("403") || err.toLowerCase().contains("authentication")
                || err.toLowerCase().contains("not authorized") || err.contains("could not read Username");
        return check("gate", SickbayLevel.SICKBAY_LEVEL_ERROR, (refused ? "the gate refuses the task's token: " : "gate unreachable: ") + err,
                refused ? "the token was revoked (`terok revoke`): start a new task (`terok task run`)"
                        : "check the gate service (`terok services status`)");
    }

    /** A request to an address outside every allow list must fail. */
    SickbayCheck firewall() {
        AgentContainers.Exec r = exec(List.of("curl", "-sS", "-m", "3", "-o", "/dev/null", BLOCKED_PROBE));
        if (r.exitCode() == 127) {
            return check("firewall", SickbayLevel.SICKBAY_LEVEL_WARN, "cannot probe: no curl in the image", "add curl to the project's image");
        }
        if (r.ok()) {
            return check("firewall", SickbayLevel.SICKBAY_LEVEL_ERROR, "a request to " + BLOCKED_PROBE + " got through",
                    "the task's firewall is down: stop the task (`terok task stop`) and check shield (`terok shield status`)");
        }
        return check("firewall", SickbayLevel.SICKBAY_LEVEL_OK, "up: a probe to " + BLOCKED_PROBE + " was refused (" + firstLine(r) + ")", "");
    }

    /**
     * The task's DNS forwarder (the first nameserver of its resolv.conf) answers. The question is dnsmasq's own
     * (CHAOS version.bind), which it answers itself, so the check is about the forwarder, not the names the task may
     * resolve upstream.
     */
    SickbayCheck dns() {
        String py = "import socket,random\n"
                + "ns=[l.split()[1] for l in open('/etc/resolv.conf') if l.startswith('nameserver')][0]\n"
                + "q=bytes([random.randrange(256),1,1,0,0,1,0,0,0,0,0,0])+b'\\x07version\\x04bind\\x00\\x00\\x10\\x00\\x03'\n"
                + "s=socket.socket(socket.AF_INET6 if ':' in ns else socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(3)\n"
                + "s.sendto(q,(ns,53));r=s.recv(512);print(ns,'rcode',r[3]&15)\n";
        AgentContainers.Exec r = exec(List.of("python3", "-c", py));
        if (r.exitCode() == 127) {
            return check("dns", SickbayLevel.SICKBAY_LEVEL_WARN, "cannot probe: no python3 in the image", "");
        }
        if (!r.ok()) {
            return check("dns", SickbayLevel.SICKBAY_LEVEL_ERROR, "the task's DNS forwarder does not answer: " + lastLine(r),
                    "check shield (`terok shield status`); a task launched before shield's hooks has no forwarder: start a new task");
        }
        return check("dns", SickbayLevel.SICKBAY_LEVEL_OK, "forwarder " + r.stdout().strip() + " answers", "");
    }

    private static String lastLine(AgentContainers.Exec r) {
        List<String> l = (r.stdout() + "\n" + r.stderr()).strip().lines().toList();
        return l.isEmpty() ? "exit " + r.exitCode() : l.get(l.size() - 1);
    }

    /** The agent's VERSION command (the roster's) runs. */
    SickbayCheck agent(String agentId, List<String> versionArgv) {
        AgentContainers.Exec r = exec(versionArgv);
        if (!r.ok()) {
            return check("agent", SickbayLevel.SICKBAY_LEVEL_ERROR, agentId + " does not run (" + versionArgv.get(0) + "): " + firstLine(r),
                    "rebuild the project's image (`terok project init` again) and start a new task");
        }
        return check("agent", SickbayLevel.SICKBAY_LEVEL_OK, agentId + " " + firstLine(r), "");
    }

    /** Free space in the workspace: WARN under 1 GiB, ERROR under 100 MiB. */
    SickbayCheck disk() {
        AgentContainers.Exec r = exec(List.of("df", "-Pk", AgentTaskRunner.WORKSPACE));
        List<String> lines = r.stdout().strip().lines().toList();
        if (!r.ok() || lines.size() < 2) {
            return check("disk", SickbayLevel.SICKBAY_LEVEL_WARN, "cannot read free space: " + firstLine(r), "");
        }
        String[] f = lines.get(lines.size() - 1).trim().split("\\s+");
        long freeKiB;
        try {
            freeKiB = Long.parseLong(f[3]);
        } catch (RuntimeException e) {
            return check("disk", SickbayLevel.SICKBAY_LEVEL_WARN, "cannot read free space: " + lines.get(lines.size() - 1), "");
        }
        String free = freeKiB >= 1024 * 1024 ? String.format("%.1f GiB", freeKiB / 1048576.0) : (freeKiB / 1024) + " MiB";
        SickbayLevel level = freeKiB < 100 * 1024 ? SickbayLevel.SICKBAY_LEVEL_ERROR
                : freeKiB < 1024 * 1024 ? SickbayLevel.SICKBAY_LEVEL_WARN : SickbayLevel.SICKBAY_LEVEL_OK;
        return check("disk", level, free + " free in " + AgentTaskRunner.WORKSPACE,
                level == SickbayLevel.SICKBAY_LEVEL_OK ? "" : "free space on the host's container storage (`terok image cleanup`, `podman system df`)");
    }

    List<SickbayCheck> all(String brokerUrl, String tokenEnv, String agentId, List<String> versionArgv) {
        List<SickbayCheck> out = new ArrayList<>();
        out.add(broker(brokerUrl, tokenEnv));
        out.add(gate());
        out.add(firewall());
        out.add(dns());
        out.add(agent(agentId, versionArgv));
        out.add(disk());
        return out;
    }
}
