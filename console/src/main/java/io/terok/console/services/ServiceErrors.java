package io.terok.console.services;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.terok.common.Printable;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.Map;

/**
 * A service's refusal as the HTTP status a browser or script understands, with the service's own message (which
 * names the field and what to do; sanitised, since it can quote a task's text). A service that does not answer is
 * 503 naming it.
 */
@Provider
public class ServiceErrors implements ExceptionMapper<StatusRuntimeException> {
    public static int httpStatus(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED -> 409;
            case RESOURCE_EXHAUSTED -> 429;
            case UNIMPLEMENTED -> 501;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            default -> 502;
        };
    }

    public static String message(StatusRuntimeException e) {
        Status st = e.getStatus();
        if (st.getCode() == Status.Code.UNAVAILABLE) {
            return "a terok service is not running: start it with `terok services up`";
        }
        return Printable.line(st.getDescription() == null ? st.getCode().toString() : st.getDescription(), 2000);
    }

    @Override
    public Response toResponse(StatusRuntimeException e) {
        return Response.status(httpStatus(e.getStatus().getCode())).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message(e))).build();
    }
}
