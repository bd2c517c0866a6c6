"""The HTTP layer shared by core and engines: dependencies, errors, middleware, templates."""
