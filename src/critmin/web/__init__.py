"""``critmin serve``: the REST API, its OpenAPI documentation and the dashboard, from one process.

The sub-package holds no logic of its own: every endpoint and page calls :mod:`critmin.query`,
:mod:`critmin.risk` or :mod:`critmin.events`. :func:`critmin.web.app.create_app` builds the application.
"""
