"""Dashboard pages, one module per page; each takes the :class:`~dashboard.context.Context`."""
