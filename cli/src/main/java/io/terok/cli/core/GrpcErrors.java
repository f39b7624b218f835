package io.terok.cli.core;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.common.Printable;

/** Turns a gRPC failure into one line an operator can read, plus what to do next. */
public final class GrpcErrors {
    private GrpcErrors() {
    }

    /**
     * @param what    what failed, e.g. "cannot list tasks"
     * @param service the service that was called, for hints ("runtime")
     * @param logHint where that service's log is, or null
     */
    static CliException failure(String what, String service, String logHint, StatusRuntimeException e) {
        Status status = e.getStatus();
        return new CliException(what + ": " + describe(status), hint(status.getCode(), service, logHint),
                CliException.FAILED, e);
    }

    public static String describe(Status status) {
        String d = status.getDescription();
        Throwable cause = status.getCause();
        if ((d == null || d.isBlank() || d.equals("io exception")) && cause != null && cause.getMessage() != null) {
            d = cause.getMessage();
        }
        if (d == null || d.isBlank()) {
            return status.getCode().name().toLowerCase().replace('_', ' ');
        }
        if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            // grpc-java appends transport bookkeeping ("[closed=[], open=[...]]") nobody needs to read.
            int cut = d.indexOf(". ");
            d = "no answer in time (" + (cut > 0 ? d.substring(0, cut) : d) + ")";
        }
        // The description may quote what a caller or a task sent: shown as it is, escapes made visible.
        return Printable.lines(d.strip());
    }

    static String hint(Status.Code code, String service, String logHint) {
        String log = logHint == null ? "" : " (log: " + logHint + ")";
        return switch (code) {
            case UNAVAILABLE -> "is the " + service + " service running? `terok services status` shows it, "
                    + "`terok services up` starts it";
            case DEADLINE_EXCEEDED -> "the " + service + " service is slow or stuck; check `terok services status`" + log;
            case NOT_FOUND -> "`terok ps -a` lists the tasks";
            case INVALID_ARGUMENT, OUT_OF_RANGE -> "fix the value named above and try again";
            case ALREADY_EXISTS -> "pick another --name, or remove the old task with `terok rm`";
            case FAILED_PRECONDITION -> "the message says what is not ready; `terok ps -a` shows the tasks' states, "
                    + "`terok doctor` checks the setup";
            case PERMISSION_DENIED, UNAUTHENTICATED -> "the " + service + " service refused the request" + log;
            case RESOURCE_EXHAUSTED -> "stop or remove tasks you no longer need and try again";
            case UNIMPLEMENTED -> "the " + service + " service does not offer this call; "
                    + "are the CLI and the services from the same build?";
            case CANCELLED -> "the call was cancelled; try again";
            default -> "see the " + service + " service's log" + log + "; rerun with --debug for details";
        };
    }
}
