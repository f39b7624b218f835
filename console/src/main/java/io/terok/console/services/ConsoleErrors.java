package io.terok.console.services;

import io.terok.common.ServiceException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** The console's own refusals (bad input it checks before calling a service) answer like a service's would. */
@Provider
public class ConsoleErrors implements ExceptionMapper<ServiceException> {
    @Override
    public Response toResponse(ServiceException e) {
        return new ServiceErrors().toResponse(e.toStatus());
    }
}
