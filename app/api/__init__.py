"""The HTTP face: dependencies, RFC 9457 problems, middleware and the routers."""
