"""Development tooling: the services newsdesk can run for itself on a machine without Docker.

``elasticsearch`` fetches Elasticsearch from Maven Central and runs it as an unprivileged user;
``stack`` is ``newsdesk up/down/status`` (Elasticsearch, a Prefect server with its UI, the API,
the worker). Nothing in ``ingest``, ``search`` or the flow imports this package: a deployment that
brings its own cluster and Prefect server never loads it (``tests/test_layering.py`` checks).
"""
